"""What a Site makes besides product resources: the image pre-pull DaemonSet, extra ServiceAccounts, shared
storage (PVs for an NFS volume source, the shared-directory claim) and Keycloak."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products.context import SecretKeyRef
from teamop.products.database import database_target, postgres_database
from teamop.products.naming import generated_secret_name
from teamop.products.site.products import DatabaseServer, enabled_sections

SITE_COMPONENT = "site"
PREPULL_COMMAND = "while true; do echo 'images pulled. sleeping forever'; sleep infinity; done"
PREPULL_SLEEPER_IMAGE = "public.ecr.aws/docker/library/busybox"
DEFAULT_VOLUME_SIZE = "10Gi"
SHARED_VOLUME_SIZE = "10Gi"
KEYCLOAK_API_VERSION = "k8s.keycloak.org/v2alpha1"
KEYCLOAK_USER_KEY = "keycloak-db-user"


def site_labels(site: str) -> dict[str, str]:
    """Labels of objects that belong to the Site as a whole (as the reference: name and component `site`)."""
    return {
        "app.kubernetes.io/instance": site,
        "app.kubernetes.io/name": SITE_COMPONENT,
        "posit.team/component": SITE_COMPONENT,
        "posit.team/site": site,
    }


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


# --- storage ---------------------------------------------------------------------------------------------------
# product volume name -> (the product section it belongs to, the product's `volume` it feeds)
NFS_VOLUMES = (
    ("connect", "connect"),
    ("workbench", "workbench"),
    ("workbench-shared-storage", "workbench"),
)


def nfs_storage_class(pv_name: str) -> str:
    return f"{pv_name}-nfs"


def nfs_persistent_volumes(site: str, spec: SiteSpec) -> list[dict[str, Any]]:
    """Cluster-scoped PVs on the NFS server of `volumeSource` for the enabled products' volumes. A namespaced
    Site cannot own them: they carry the Site labels and the Site's finalizer removes them (Retain keeps data)."""
    source = spec.volume_source
    if source is None or source.type != "nfs" or not source.dns_name:
        return []
    enabled = enabled_sections(spec)
    base = (source.volume_id or "").rstrip("/")
    volumes = []
    for suffix, section in NFS_VOLUMES:
        if section not in enabled:
            continue
        name = f"{site}-{suffix}"
        size = _product_volume_size(spec, section) if suffix == section else SHARED_VOLUME_SIZE
        volumes.append({
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": name, "labels": site_labels(site)},
            "spec": {
                "capacity": {"storage": size},
                "accessModes": ["ReadWriteMany"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": nfs_storage_class(name),
                "volumeMode": "Filesystem",
                "nfs": {"server": source.dns_name, "path": f"{base}/{name}"},
            },
        })
    return volumes


def _product_volume_size(spec: SiteSpec, section: str) -> str:
    product = spec.connect if section == "connect" else spec.workbench
    volume = product.volume if product else None
    return (volume.size if volume and volume.size else None) or DEFAULT_VOLUME_SIZE


def cloud_storage_class(site: str, spec: SiteSpec) -> str | None:
    """For fsx-zfs and azure-netapp sources: the StorageClass (provisioned by that cloud's CSI driver, which
    teamop does not install) the products' claims ask for."""
    source = spec.volume_source
    if source is None or source.type not in ("fsx-zfs", "azure-netapp"):
        return None
    return f"{site}-{source.type}"


def shared_directory_claim(site: str, namespace: str, spec: SiteSpec) -> dict[str, Any] | None:
    """`<site>-shared`, mounted at /mnt/<sharedDirectory> in Connect and Workbench."""
    if not spec.shared_directory:
        return None
    claim_spec: dict[str, Any] = {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": SHARED_VOLUME_SIZE}},
        "volumeMode": "Filesystem",
    }
    storage_class = cloud_storage_class(site, spec)
    if storage_class:
        claim_spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": f"{site}-shared", "namespace": namespace, "labels": site_labels(site)},
        "spec": claim_spec,
    }


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
