"""Who the server and the sessions run as.

The Job Launcher runs inside the server pod, so the Role that lets it start sessions is bound to the server's
ServiceAccount `<site>-workbench`. The rules are exactly the reference's: Jobs, Pods (with attach/exec for the
session terminal), Services for session ports, pod logs, events, listing ServiceAccounts (the launcher checks
the session account exists) and pod metrics — nothing cluster-wide, no Secrets. Session pods run as
`<site>-workbench-session`, which has no Role at all.
"""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.launcher_templates import LAUNCHER_RULES
from teamop.products.objects import eks_role_annotations, role, role_binding, service_account
from teamop.products.workbench import names
from teamop.products.workbench.names import COMPONENT

# IAM role names (EKS IRSA) of the server and the sessions, as the reference names them.
_SERVER_ROLE_PREFIX = "dev"
_SESSION_ROLE_PREFIX = "dev-ses"


def iam_role_name(spec: WorkbenchSpec, prefix: str, site: str | None) -> str | None:
    if not (spec.aws_account_id and spec.cluster_date):
        return None
    compound = spec.workload_compound_name or ""
    middle = f"{spec.cluster_date}.{site}" if site else spec.cluster_date
    return f"{prefix}.{middle}.{compound}.posit.team"


def _iam_annotations(spec: WorkbenchSpec, prefix: str, site: str | None) -> dict[str, str]:
    role_name = iam_role_name(spec, prefix, site)
    return eks_role_annotations(spec.aws_account_id, role_name) if role_name else {}


def server_service_account(spec: WorkbenchSpec, site: str, namespace: str) -> dict[str, Any]:
    return service_account(
        site,
        namespace,
        COMPONENT,
        names.server(site),
        annotations=_iam_annotations(spec, _SERVER_ROLE_PREFIX, None),
        automount=True,
    )


def session_service_account(spec: WorkbenchSpec, site: str, namespace: str) -> dict[str, Any]:
    return service_account(
        site,
        namespace,
        COMPONENT,
        names.session_service_account(site),
        annotations=_iam_annotations(spec, _SESSION_ROLE_PREFIX, site),
    )


def launcher_role(site: str, namespace: str) -> dict[str, Any]:
    return role(site, namespace, COMPONENT, names.server(site), LAUNCHER_RULES)


def launcher_role_binding(site: str, namespace: str) -> dict[str, Any]:
    name = names.server(site)
    return role_binding(site, namespace, COMPONENT, name, name, name)
