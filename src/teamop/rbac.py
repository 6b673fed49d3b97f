"""The permissions teamop's controllers use, declared once; `config/rbac/` is generated from this list.

Why each rule is there is said beside it. Roles teamop creates for session launchers (Connect, Workbench) and for
Flightdeck grant permissions that Kubernetes only lets a creator grant when it holds them itself (RBAC escalation
prevention), so those permissions appear here too instead of the broader `escalate`/`bind` verbs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from teamop.generated_files import write_files

GROUP = "core.posit.team"
KINDS = ("sites", "connects", "workbenches", "packagemanagers", "postgresdatabases", "flightdecks", "chronicles")
READ = ("get", "list", "watch")
# What the operator does with the objects it owns: watch them (informers), read one the cache does not hold,
# server-side apply (patch, and create when the object is new), delete what is no longer rendered. It never sends
# a full update (PUT) except for its leader-election Lease.
OWN = ("get", "list", "watch", "create", "patch", "delete")
# What an editor may do (the aggregated `edit` role), and what the session launchers are granted on their pods.
MANAGE = ("get", "list", "watch", "create", "update", "patch", "delete")


@dataclass(frozen=True)
class Rule:
    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    why: str

    def as_policy_rule(self) -> dict[str, Any]:
        return {"apiGroups": [self.group], "resources": list(self.resources), "verbs": list(self.verbs)}

    def allows(self, group: str, resource: str, verb: str) -> bool:
        return group == self.group and resource in self.resources and verb in self.verbs


MANAGER_RULES: tuple[Rule, ...] = (
    Rule(GROUP, ("sites",), (*READ, "patch"),
         "Sites are watched, never created or deleted; patch adds and removes the Site's finalizer while it owns "
         "cluster-scoped PersistentVolumes"),
    Rule(GROUP, KINDS[1:], OWN, "products and PostgresDatabases: created from Sites, deleted when a Site drops them; "
                                "patch also for the PostgresDatabase finalizer"),
    Rule(GROUP, tuple(f"{k}/status" for k in KINDS), ("patch",), "status of every kind (server-side apply)"),
    Rule(GROUP, tuple(f"{k}/finalizers" for k in KINDS), ("update",),
         "owner references with blockOwnerDeletion, where the OwnerReferencesPermissionEnforcement admission "
         "plugin is on (OpenShift)"),
    Rule("", ("configmaps", "secrets", "services", "serviceaccounts", "persistentvolumeclaims"), OWN,
         "children of products; Secrets also read for database credentials and generated keys"),
    Rule("", ("persistentvolumes",), OWN, "PersistentVolumes for a Site's volumeSource (cluster-scoped)"),
    Rule("events.k8s.io", ("events",), ("create", "patch"), "Events on the objects it reconciles (patch: series)"),
    Rule("apps", ("deployments", "statefulsets", "daemonsets"), OWN,
         "product workloads (Deployments, Chronicle's StatefulSet), image pre-pull DaemonSets"),
    Rule("networking.k8s.io", ("ingresses", "networkpolicies"), OWN, "product Ingresses and NetworkPolicies"),
    Rule("policy", ("poddisruptionbudgets",), OWN, "PodDisruptionBudgets of replicated products"),
    Rule("rbac.authorization.k8s.io", ("roles", "rolebindings"), OWN,
         "Roles and RoleBindings of the session launchers (Connect, Workbench) and Flightdeck"),
    Rule("k8s.keycloak.org", ("keycloaks",), OWN,
         "Keycloak for a Site with keycloak.enabled (when its CRD is installed)"),
    Rule("traefik.io", ("middlewares",), OWN,
         "Traefik Middlewares the products' Ingresses name (made when their CRD is installed)"),
    Rule("secrets-store.csi.x-k8s.io", ("secretproviderclasses",), OWN,
         "SecretProviderClasses of products whose secrets are in AWS Secrets Manager (secret.type aws; made when "
         "the Secrets Store CSI driver's CRD is installed)"),
    Rule("apiextensions.k8s.io", ("customresourcedefinitions",), READ,
         "whether the Keycloak, Traefik and Secrets Store CSI CRDs are installed: watched as metadata only, so that "
         "one installed or removed while the operator runs is followed within seconds; get reads one of them when "
         "it changes (Established, being deleted)"),
    # Held only so that the launcher Roles it creates may grant them (see the module docstring); the operator
    # itself only lists and watches pods, for product readiness:
    Rule("", ("pods", "pods/attach", "pods/exec"), MANAGE, "granted to session launchers; pods watched for status"),
    Rule("", ("pods/log",), READ, "granted to session launchers"),
    Rule("", ("events",), ("watch",), "granted to session launchers (they follow their pods' events)"),
    Rule("batch", ("jobs",), MANAGE, "granted to session launchers (sessions are Jobs); the operator runs the "
                                      "subdirectory Job of a Site's NFS or FSx volumeSource"),
    Rule("metrics.k8s.io", ("pods",), ("get",), "granted to session launchers"),
)

LEADER_ELECTION_RULES: tuple[Rule, ...] = (
    Rule("coordination.k8s.io", ("leases",), ("get", "create", "update"),
         "leader election: read the Lease, create it, renew and release it (update with its resourceVersion)"),
)

SERVICE_ACCOUNT = "teamop"
CLUSTER_ROLE = "teamop-manager"
LEADER_ELECTION_ROLE = "teamop-leader-election"


def _labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": "teamop", "app.kubernetes.io/part-of": "teamop"}


def rbac_objects() -> list[dict[str, Any]]:
    """ServiceAccount, the manager ClusterRole and binding, the leader-election Role and binding, and the
    editor/viewer ClusterRoles that aggregate into the built-in `edit` and `view` roles."""
    subject = [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": "system"}]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": SERVICE_ACCOUNT, "namespace": "system",
                                                                     "labels": _labels()}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": CLUSTER_ROLE, "labels": _labels()},
            "rules": [rule.as_policy_rule() for rule in MANAGER_RULES],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": CLUSTER_ROLE, "labels": _labels()},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTER_ROLE},
            "subjects": subject,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": LEADER_ELECTION_ROLE, "namespace": "system", "labels": _labels()},
            "rules": [rule.as_policy_rule() for rule in LEADER_ELECTION_RULES],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": LEADER_ELECTION_ROLE, "namespace": "system", "labels": _labels()},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": LEADER_ELECTION_ROLE},
            "subjects": subject,
        },
        _aggregated_role("teamop-editor", "edit", MANAGE),
        _aggregated_role("teamop-viewer", "view", READ),
    ]


def _aggregated_role(name: str, aggregate_to: str, verbs: tuple[str, ...]) -> dict[str, Any]:
    rules = [{"apiGroups": [GROUP], "resources": list(KINDS), "verbs": list(verbs)},
             {"apiGroups": [GROUP], "resources": [f"{k}/status" for k in KINDS], "verbs": ["get"]}]
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": name,
            "labels": {**_labels(), f"rbac.authorization.k8s.io/aggregate-to-{aggregate_to}": "true"},
        },
        "rules": rules,
    }


def allowed(rules: Iterable[Rule], group: str, resource: str, verb: str) -> bool:
    """Whether one of `rules` grants `verb` on `group`/`resource` ("plural" or "plural/subresource")."""
    return any(rule.allows(group, resource, verb) for rule in rules)


RBAC_FILE = "role.yaml"
_HEADER = "# Generated from src/teamop/rbac.py by `teamop manifests`. Do not edit.\n"


def rendered_rbac_files() -> dict[str, str]:
    """File name → YAML text of the RBAC manifests (`config/rbac/role.yaml`)."""
    return {RBAC_FILE: _HEADER + "---\n".join(yaml.safe_dump(obj, sort_keys=False) for obj in rbac_objects())}


def write_rbac(out_dir: Path) -> list[Path]:
    """Writes the RBAC manifests into `out_dir` (created if missing); returns the files written."""
    return write_files(out_dir, rendered_rbac_files())
