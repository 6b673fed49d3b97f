"""What a Site makes besides product resources and storage (`volumes`): the image pre-pull DaemonSet, extra
ServiceAccounts and Keycloak."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products import images
from teamop.products.context import SecretKeyRef
from teamop.products.database import database_target, postgres_database
from teamop.products.naming import MANAGED_BY, MANAGED_BY_LABEL, generated_secret_name
from teamop.products.objects import eks_role_annotations
from teamop.products.objects import metadata as metadata_of
from teamop.products.site.labels import site_labels
from teamop.products.site.products import DatabaseServer, enabled_sections

PREPULL_COMMAND = "while true; do echo 'images pulled. sleeping forever'; sleep infinity; done"
PREPULL_SLEEPER_IMAGE = "public.ecr.aws/docker/library/busybox"
KEYCLOAK_API_VERSION = "k8s.keycloak.org/v2alpha1"
KEYCLOAK_USER_KEY = "keycloak-db-user"


def images_to_prepull(spec: SiteSpec) -> list[str | None]:
    """The images to pull, in the reference's order: Workbench's server and default session image, Connect's
    server and session image, Chronicle's server and agent image, Package Manager's image, then Workbench's extra
    session images. A server image the section does not name is the default the product will run; None where a
    product is not enabled or names no session image: the init containers are named after the position in this
    list, as the reference names them."""
    enabled = enabled_sections(spec)
    workbench = spec.workbench if "workbench" in enabled else None
    connect = spec.connect if "connect" in enabled else None
    chronicle = spec.chronicle if "chronicle" in enabled else None
    package_manager = spec.package_manager if "packageManager" in enabled else None
    return [
        images.server_image("workbench", workbench.image) if workbench else None,
        workbench.default_session_image if workbench else None,
        images.server_image("connect", connect.image) if connect else None,
        connect.session_image if connect else None,
        images.server_image("chronicle", chronicle.image) if chronicle else None,
        chronicle.agent_image if chronicle else None,
        images.server_image("packagemanager", package_manager.image) if package_manager else None,
        *((workbench.extra_session_images or []) if workbench else []),
    ]


def prepull_daemonset(site: str, namespace: str, spec: SiteSpec) -> dict[str, Any] | None:
    """`<site>-prepull`: pulls every product image on every node ahead of need, then sleeps. As the reference,
    plus the Site's image pull secrets (without them a private image cannot be pre-pulled)."""
    images = images_to_prepull(spec)
    if spec.disable_pre_pull_images or not any(images):
        return None
    name = f"{site}-prepull"
    init_containers = [
        {
            "name": f"pre-pull-container-{index}",
            "image": image,
            "command": ["echo"],
            "args": [f"pre-pulling image: {image}"],
        }
        for index, image in enumerate(images) if image
    ]
    pod_spec: dict[str, Any] = {
        "enableServiceLinks": False,
        "initContainers": init_containers,
        "containers": [{
            "name": "sleep-forever",
            "image": PREPULL_SLEEPER_IMAGE,
            "command": ["sh", "-c", PREPULL_COMMAND],
        }],
    }
    if spec.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": n} for n in spec.image_pull_secrets]
    tolerations = spec.workbench.tolerations if spec.workbench else None
    if tolerations:
        pod_spec["tolerations"] = [toleration.to_dict() for toleration in tolerations]
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace, "labels": site_labels(site)},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "50%"}},
            "template": {
                "metadata": {"labels": {"app": name, **site_labels(site), MANAGED_BY_LABEL: MANAGED_BY}},
                "spec": pod_spec,
            },
        },
    }


def extra_service_accounts(site: str, namespace: str, spec: SiteSpec) -> list[dict[str, Any]]:
    accounts = []
    for extra in spec.extra_site_service_accounts or []:
        if not extra.name_suffix:
            continue
        metadata: dict[str, Any] = {"name": f"{site}-{extra.name_suffix}", "namespace": namespace,
                                    "labels": site_labels(site)}
        if extra.annotations:
            metadata["annotations"] = dict(extra.annotations)
        accounts.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata,
                         "automountServiceAccountToken": True})
    return accounts


# --- Keycloak --------------------------------------------------------------------------------------------------
def keycloak_service_account(site: str, namespace: str, spec: SiteSpec) -> dict[str, Any]:
    """`<site>-keycloak`, with the reference's IAM role (`keycloak.<clusterDate>.<workloadCompoundName>.posit.team`,
    only when the Site names both an AWS account and a cluster date)."""
    role = f"keycloak.{spec.cluster_date}.{spec.workload_compound_name or ''}.posit.team"
    annotations = eks_role_annotations(spec.aws_account_id, role) if spec.cluster_date else {}
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": metadata_of(f"{site}-keycloak", namespace, site_labels(site), annotations),
            "automountServiceAccountToken": True}


def keycloak_objects(
    site: str, namespace: str, spec: SiteSpec, database: DatabaseServer | None, password: SecretKeyRef
) -> list[dict[str, Any]]:
    """The Keycloak CR, its ServiceAccount and its PostgresDatabase `<site>-keycloak` (Site-owned)."""
    if not (spec.keycloak and spec.keycloak.enabled) or database is None:
        return []
    target = database_target(site, "keycloak", host=database.host, port=database.port, sslmode=database.sslmode,
                             password=password)
    keycloak = spec.keycloak
    keycloak_spec: dict[str, Any] = {
        "instances": 1,
        "db": {
            "vendor": "postgres",
            "host": database.host,
            "port": database.port,
            "database": target.database,
            # The role teamop creates, kept by the Site controller in the generated Secret (never the user's key).
            "usernameSecret": {"name": generated_secret_name(site, "keycloak"), "key": KEYCLOAK_USER_KEY},
            "passwordSecret": {"name": password.name, "key": password.key},
        },
        "hostname": {"hostname": f"key.{spec.domain}"},
        "http": {"httpEnabled": True},
        "proxy": {"headers": "xforwarded"},
    }
    if keycloak.image:
        keycloak_spec["image"] = keycloak.image
    if keycloak.node_selector:
        keycloak_spec["scheduling"] = {"nodeSelector": dict(keycloak.node_selector)}
    return [
        keycloak_service_account(site, namespace, spec),
        postgres_database(
            target, site=site, namespace=namespace, component="keycloak",
            workload_secret=spec.workload_secret.to_dict() if spec.workload_secret else None,
            main_database_credential_secret=(spec.main_database_credential_secret.to_dict()
                                             if spec.main_database_credential_secret else None),
            site_secret=spec.secret.to_dict() if spec.secret else None,
            drop_on_teardown=bool(spec.drop_database_on_tear_down),
        ),
        {"apiVersion": KEYCLOAK_API_VERSION, "kind": "Keycloak",
         "metadata": {"name": f"{site}-keycloak", "namespace": namespace, "labels": site_labels(site)},
         "spec": keycloak_spec},
    ]
