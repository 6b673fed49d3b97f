"""Package Manager: `render(spec, context)` turns a PackageManager CR's spec into its objects and config files.

Objects (`<site>` = `context.site`): ServiceAccount `<site>-packagemanager`; ConfigMap `<site>-packagemanager`
(`rstudio-pm.gcfg`, and `ssh_config` when Git builders have SSH keys); a licence Secret for a `KEY` licence given
in the spec; the data PVC (none when packages live in S3; `<site>-packagemanager-azure-files` on the Azure Files
class when `azureFiles` is set); PostgresDatabase `<site>-packagemanager`; Service (http 80 → 4242); Ingress;
Deployment (container `rspm`); a PodDisruptionBudget when replicas > 1.

Storage: `spec.config.S3Storage.Bucket` set → `[Storage] Default = s3` and no data volume; else the data
directory `/var/lib/rstudio-pm` on a PVC. Git builder SSH keys (`gitSSHKeys`, Kubernetes Secrets only) are
mounted under `/etc/rstudio-pm/ssh-keys/<name>`, and `ssh_config` (one `Host` block per key) is what git's ssh
reads (`GIT_SSH_COMMAND`).
"""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1.common import SSHKeyConfig
from teamop.api.v1beta1.packagemanager import PackageManagerSpec
from teamop.products import images
from teamop.products.aws_secrets import AWS_SSH_SOURCE, SSH_KEY_MOUNT_DIR, aws_region, is_aws, product_secrets
from teamop.products.context import DatabaseTarget, RenderContext, SecretNeed
from teamop.products.database import product_postgres_database
from teamop.products.gcfg import Gcfg, GcfgValue
from teamop.products.license import PACKAGE_MANAGER_LICENSE, LicenseParts, license_parts, site_secret_license_needs
from teamop.products.naming import child_name
from teamop.products.objects import (
    ServicePort,
    config_map,
    eks_role_annotations,
    ingress,
    pod_disruption_budget,
    service,
    service_account,
)
from teamop.products.rendered import Rendered
from teamop.products.storage import DEFAULT_DATA_SIZE, DataClaim, claim, claim_volume, data_claim
from teamop.products.workload import (
    ContainerPort,
    HttpProbe,
    PodParts,
    Workload,
    deployment,
    env_from_secret,
    env_value,
)

COMPONENT = "packagemanager"
CONTAINER = "rspm"
HTTP_PORT = 4242
METRICS_PORT = 2112
SERVICE_PORT = 80
RUN_AS_USER = 999
CONFIG_DIR = "/etc/rstudio-pm"
CONFIG_FILE = "rstudio-pm.gcfg"
SSH_CONFIG_FILE = "ssh_config"
SSH_CONFIG_PATH = f"{CONFIG_DIR}/ssh/config"
SSH_KEY_DIR = f"{CONFIG_DIR}/ssh-keys"
DATA_DIR = "/var/lib/rstudio-pm"
DEFAULT_SSH_KEY_SECRET_KEY = "ssh-privatekey"

DB_PASSWORD_KEY = "pkg-db-password"
SECRET_KEY_KEY = "pkg-secret-key"

SECTION_ORDER = (
    "Server", "Http", "Git", "Database", "Postgres", "Storage", "S3Storage", "Metrics", "Repos", "CRAN", "Debug",
)
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "Server": ("Address", "DataDir", "RVersion", "LauncherDir", "AccessLog", "AccessLogFormat"),
    "Postgres": ("URL", "UsageDataURL"),
    "S3Storage": ("Bucket", "Region", "Prefix"),
    "Repos": ("PyPI", "CRAN", "Bioconductor"),
}

# The reference's requests and limits for the server container.
RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "100m", "ephemeral-storage": "500Mi", "memory": "2Gi"},
    "limits": {"cpu": "2", "ephemeral-storage": "2Gi", "memory": "4Gi"},
}
SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "runAsUser": RUN_AS_USER,
    "seccompProfile": {"type": "RuntimeDefault"},
}

OWNED_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "ServiceAccount"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "PersistentVolumeClaim"),
    ("core.posit.team/v1beta1", "PostgresDatabase"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("networking.k8s.io/v1", "Ingress"),
    ("policy/v1", "PodDisruptionBudget"),
)
"""(apiVersion, kind) of every kind a PackageManager may own."""


def s3_bucket(spec: PackageManagerSpec) -> str | None:
    s3 = spec.config.s3_storage if spec.config else None
    return s3.bucket if s3 else None


def secret_needs(spec: PackageManagerSpec) -> list[SecretNeed]:
    needs = [SecretNeed(DB_PASSWORD_KEY), SecretNeed(SECRET_KEY_KEY, kind="hex-key", predecessor_key="key")]
    needs += site_secret_license_needs(spec.license, PACKAGE_MANAGER_LICENSE)
    return needs


def packagemanager_gcfg(spec: PackageManagerSpec, database: DatabaseTarget | None) -> str:
    doc = Gcfg(SECTION_ORDER, KEY_ORDER)
    if spec.config is not None:
        doc.merge(spec.config.model_dump(by_alias=True, exclude_none=True))
    managed: dict[str, dict[str, GcfgValue]] = {
        "Server": {"Address": f"https://{spec.url}" if spec.url else None},
        "Http": {"Listen": f":{HTTP_PORT}"},
    }
    if database is not None:
        managed["Database"] = {"Provider": "postgres"}
        managed["Postgres"] = {
            "URL": database.url(database.schemas[0] if database.schemas else None),
            "UsageDataURL": database.url(database.schemas[1] if len(database.schemas) > 1 else None),
        }
    if s3_bucket(spec) and doc.get("Storage", "Default") is None:
        managed["Storage"] = {"Default": "s3"}
    doc.merge(managed)
    return doc.render()


def _usable_ssh_keys(spec: PackageManagerSpec, rendered: Rendered) -> list[SSHKeyConfig]:
    usable = []
    for key in spec.git_ssh_keys or []:
        from_aws = key.secret_ref.source == AWS_SSH_SOURCE and is_aws(spec.secret)  # mounted from the CSI driver
        if key.secret_ref.source != "kubernetes" and not from_aws:
            rendered.warnings.append(
                f"Git SSH key {key.name!r}: secrets from {key.secret_ref.source} cannot be mounted; it is left out"
            )
            continue
        if key.passphrase_secret_ref is not None:
            rendered.warnings.append(
                f"Git SSH key {key.name!r}: keys with a passphrase cannot be used by unattended git; it is left out"
            )
            continue
        usable.append(key)
    return usable


def _key_file(key: SSHKeyConfig) -> str:
    """Where the key is mounted: a Kubernetes Secret's under ssh-keys/, an AWS one where the reference mounts it."""
    directory = SSH_KEY_MOUNT_DIR if key.secret_ref.source == AWS_SSH_SOURCE else SSH_KEY_DIR
    return f"{directory}/{key.name}"


def ssh_config(keys: list[SSHKeyConfig]) -> str:
    blocks = []
    for key in keys:
        blocks.append(
            f"Host {key.host}\n"
            f"    HostName {key.host}\n"
            f"    IdentityFile {_key_file(key)}\n"
            "    IdentitiesOnly yes\n"
            "    StrictHostKeyChecking accept-new\n"
        )
    return "\n".join(blocks)


def _ssh_parts(keys: list[SSHKeyConfig]) -> PodParts:
    if not keys:
        return PodParts()
    parts = PodParts(env=[env_value("GIT_SSH_COMMAND", f"ssh -F {SSH_CONFIG_PATH}")])
    parts.mounts.append(
        {"name": "config-volume", "mountPath": SSH_CONFIG_PATH, "subPath": SSH_CONFIG_FILE, "readOnly": True}
    )
    for key in keys:
        if key.secret_ref.source == AWS_SSH_SOURCE:
            continue  # its CSI volume comes with the product's AWS secrets
        volume = f"ssh-key-{key.name}"
        # Group-readable for the server's group (fsGroup); ssh accepts a key the user does not own.
        parts.volumes.append({
            "name": volume,
            "secret": {
                "secretName": key.secret_ref.name,
                "items": [{"key": key.secret_ref.key or DEFAULT_SSH_KEY_SECRET_KEY, "path": key.name}],
                "defaultMode": 0o440,
            },
        })
        parts.mounts.append(
            {"name": volume, "mountPath": f"{SSH_KEY_DIR}/{key.name}", "subPath": key.name, "readOnly": True}
        )
    return parts


def _data_claim(spec: PackageManagerSpec, context: RenderContext) -> DataClaim | None:
    site, namespace = context.site, context.namespace
    if s3_bucket(spec):
        return None
    azure = spec.azure_files
    if azure is not None and azure.storage_class_name:
        name = child_name(site, COMPONENT, "azure-files")  # the reference's name: the share's data is found there
        size = f"{azure.share_size_gib}Gi" if azure.share_size_gib else DEFAULT_DATA_SIZE
        pvc = claim(site, namespace, COMPONENT, name, size=size, access_modes=["ReadWriteMany"],
                    storage_class=azure.storage_class_name)
        return DataClaim(claim_name=name, pvc=pvc)
    return data_claim(site, namespace, COMPONENT, spec.volume)


def render(spec: PackageManagerSpec, context: RenderContext) -> Rendered:
    site, namespace = context.site, context.namespace
    name = child_name(site, COMPONENT)
    replicas = spec.replicas if spec.replicas is not None else 1
    rendered = Rendered()
    aws = product_secrets(COMPONENT, spec, site)

    ssh_keys = _usable_ssh_keys(spec, rendered)
    rendered.files[CONFIG_FILE] = packagemanager_gcfg(spec, context.database)
    if ssh_keys:
        rendered.files[SSH_CONFIG_FILE] = ssh_config(ssh_keys)
    rendered.add(config_map(site, namespace, COMPONENT, name, rendered.files))

    role_name = f"pkg.{spec.cluster_date or ''}.{site}.{spec.workload_compound_name or ''}.posit.team"
    rendered.add(service_account(site, namespace, COMPONENT, automount=True,
                                 annotations=eks_role_annotations(spec.aws_account_id, role_name)))
    license = license_parts(site, namespace, COMPONENT, spec.license, PACKAGE_MANAGER_LICENSE, context.secrets)
    if aws is not None:
        rendered.add(*aws.objects(namespace, aws_region()))
        if aws.license_parts is not None:  # the licence file from the CSI mount, as the reference
            license = LicenseParts(pod=aws.license_parts)
    if license.missing:
        rendered.warnings.append("no licence: the spec names no licence Secret and the site secret has no pkg-license")
    data = _data_claim(spec, context)
    rendered.add(license.secret, data.pvc if data else None)
    if context.database is not None:
        rendered.add(
            product_postgres_database(context.database, spec, site=site, namespace=namespace, component=COMPONENT)
        )

    config_items = [{"key": file, "path": file} for file in rendered.files]
    parts = PodParts.join(
        PodParts(
            volumes=[{"name": "config-volume",
                      "configMap": {"name": name, "items": config_items, "defaultMode": 420}}],
            mounts=[{"name": "config-volume", "mountPath": f"{CONFIG_DIR}/{CONFIG_FILE}", "subPath": CONFIG_FILE,
                     "readOnly": True}],
        ),
        license.pod,
        PodParts(volumes=[claim_volume("data-volume", data.claim_name)],
                 mounts=[{"name": "data-volume", "mountPath": DATA_DIR}]) if data else PodParts(),
        _ssh_parts(ssh_keys),
        aws.pod if aws is not None else PodParts(),
    )
    env: list[dict[str, Any]] = []
    if context.database is not None:
        env += [
            env_from_secret("PACKAGEMANAGER_POSTGRES_PASSWORD", context.database.password),
            env_from_secret("PACKAGEMANAGER_POSTGRES_USAGEDATAPASSWORD", context.database.password),
        ]
    env.append(env_from_secret("PACKAGEMANAGER_SECRET_KEY", context.secret(SECRET_KEY_KEY)))
    env += parts.env

    workload = Workload(
        site=site,
        namespace=namespace,
        component=COMPONENT,
        container_name=CONTAINER,
        image=images.server_image("packagemanager", spec.image),
        service_account=name,
        config_hash=rendered.config_hash,
        ports=(ContainerPort("http", HTTP_PORT), ContainerPort("metrics", METRICS_PORT)),
        image_pull_policy=spec.image_pull_policy,
        image_pull_secrets=spec.image_pull_secrets or (),
        command=["tini", "--"],
        args=["/usr/local/bin/startup.sh"],
        env=env,
        add_env=spec.add_env,
        volumes=parts.volumes,
        volume_mounts=parts.mounts,
        readiness_probe=HttpProbe("/__ping__", failure_threshold=2),
        resources=RESOURCES,
        security_context=SECURITY_CONTEXT,
        pod_security_context={"fsGroup": RUN_AS_USER} if ssh_keys else None,
        node_selector=spec.node_selector,
        sleep=bool(spec.sleep),
    )
    rendered.add(
        service(site, namespace, COMPONENT, [ServicePort("http", SERVICE_PORT)]),
        deployment(workload, replicas),
        pod_disruption_budget(site, namespace, COMPONENT, replicas),
    )
    if spec.url:
        rendered.add(ingress(site, namespace, COMPONENT, spec.url, ingress_class=spec.ingress_class,
                             annotations=spec.ingress_annotations))
    return rendered
