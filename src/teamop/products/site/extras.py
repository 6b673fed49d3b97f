"""What a Site makes besides product resources and storage (`volumes`): the image pre-pull DaemonSet, extra
ServiceAccounts and Keycloak."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products.context import SecretKeyRef
from teamop.products.database import database_target, postgres_database
from teamop.products.naming import generated_secret_name
from teamop.products.site.labels import site_labels
from teamop.products.site.products import DatabaseServer, enabled_sections

PREPULL_COMMAND = "while true; do echo 'images pulled. sleeping forever'; sleep infinity; done"
PREPULL_SLEEPER_IMAGE = "public.ecr.aws/docker/library/busybox"
KEYCLOAK_API_VERSION = "k8s.keycloak.org/v2alpha1"
KEYCLOAK_USER_KEY = "keycloak-db-user"


def images_to_prepull(spec: SiteSpec) -> list[str]:
    """Every image the enabled products will run, once each, in a stable order."""
    enabled = enabled_sections(spec)
    images: list[str | None] = []
    if "connect" in enabled and spec.connect:
        images += [spec.connect.image, spec.connect.session_image]
    if "workbench" in enabled and spec.workbench:
        images += [spec.workbench.image, spec.workbench.default_session_image, *(spec.workbench.extra_session_images
                                                                                  or [])]
    if "packageManager" in enabled and spec.package_manager:
        images.append(spec.package_manager.image)
    if "chronicle" in enabled and spec.chronicle:
        images += [spec.chronicle.image, spec.chronicle.agent_image]
    unique: list[str] = []
    for image in images:
        if image and image not in unique:
            unique.append(image)
    return unique


def prepull_daemonset(site: str, namespace: str, spec: SiteSpec) -> dict[str, Any] | None:
    """`<site>-prepull`: pulls every product image on every node ahead of need, then sleeps."""
    images = images_to_prepull(spec)
    if spec.disable_pre_pull_images or not images:
        return None
    name = f"{site}-prepull"
    init_containers = [
        {
            "name": f"pre-pull-container-{index}",
            "image": image,
            "imagePullPolicy": "Always",
            "command": ["echo"],
            "args": [f"pre-pulling image: {image}"],
        }
        for index, image in enumerate(images)
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace, "labels": site_labels(site)},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name, **site_labels(site)}},
                "spec": {
                    "enableServiceLinks": False,
                    "imagePullSecrets": [{"name": n} for n in spec.image_pull_secrets or []],
                    "initContainers": init_containers,
                    "containers": [{
                        "name": "sleep-forever",
                        "image": PREPULL_SLEEPER_IMAGE,
                        "imagePullPolicy": "Always",
                        "command": ["sh", "-c", PREPULL_COMMAND],
                    }],
                },
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
        accounts.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata})
    return accounts


# --- Keycloak --------------------------------------------------------------------------------------------------
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
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": f"{site}-keycloak", "namespace": namespace, "labels": site_labels(site)}},
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
