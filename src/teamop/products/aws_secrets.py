"""Secrets kept in AWS Secrets Manager (`secret.type: aws`), read the way the Go operator reads them: through the
Secrets Store CSI driver and its AWS provider.

For a product whose `spec.secret` is of type aws, the product owns a `SecretProviderClass` (provider `aws`) that
names the vault secret (`spec.secret.vaultName`), the keys it takes from it (`jmesPath`, one alias per key: the
file name in the CSI mount) and the Kubernetes Secrets the driver syncs some of them into (`secretObjects`).
The pods mount the CSI volume, which is what makes the driver fetch and sync; they read licences and a few
files from the mount and everything else from the synced Secrets, exactly as the reference does. teamop reads
no value from AWS itself: where it needs a value in a file it renders (Workbench's OIDC client secret), it reads
the synced Secret.

Interface:
- `is_aws(config)` — whether a SecretConfig (model or dict) is of type aws.
- `aws_region(environ)` — the reference's rule: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-2.
- `ProviderClass` — one SecretProviderClass; `.body(namespace, region)` is the object.
- `connect_secrets`, `workbench_secrets`, `package_manager_secrets` (spec, site) -> `AwsSecrets`: the product's
  SecretProviderClasses, where each logical key lives (`refs`, into the synced Secrets) and the pod parts the
  reference adds (CSI volumes and mounts, licence file, dummy env).
- `keycloak_provider_class(site, vault_name)` and `keycloak_sync_deployment(...)`: Keycloak's, owned by the Site.
- `synced_secret_name(vault)`: the Kubernetes Secret teamop reads the database admin login from when
  `workloadSecret`/`mainDatabaseCredentialSecret` are of type aws (synced by the platform's SecretProviderClass,
  see README).

Maps the reference builds in Go map order (objects, secretObjects and their data) are rendered sorted here, so
that an apply is stable; their content is the reference's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from teamop.products.context import SecretKeyRef
from teamop.products.license import (
    CONNECT_LICENSE,
    LICENSE_VOLUME,
    PACKAGE_MANAGER_LICENSE,
    WORKBENCH_LICENSE,
    LicenseLayout,
    license_file_parts,
)
from teamop.products.naming import MANAGED_BY, MANAGED_BY_LABEL, child_name, component_labels
from teamop.products.workload import PodParts, env_from_secret
from teamop.runtime.kinds import GVK

AWS = "aws"
CSI_DRIVER = "secrets-store.csi.k8s.io"
SECRET_PROVIDER_CLASS = GVK("secrets-store.csi.x-k8s.io", "v1", "SecretProviderClass")
SECRET_PROVIDER_CLASS_CRD = "secretproviderclasses.secrets-store.csi.x-k8s.io"
DEFAULT_REGION = "us-east-2"
OBJECT_TYPE = "secretsmanager"
VERSION_LABEL = "AWSCURRENT"
DUMMY_MOUNT = "/mnt/dummy"


def is_aws(config: Any) -> bool:
    """Whether a SecretConfig (a model or its JSON object) names an AWS Secrets Manager secret."""
    if config is None:
        return False
    kind = config.get("type") if isinstance(config, Mapping) else getattr(config, "type", None)
    return kind == AWS


def vault_name(config: Any) -> str:
    name = config.get("vaultName") if isinstance(config, Mapping) else getattr(config, "vault_name", None)
    return str(name or "")


def aws_region(environ: Mapping[str, str] | None = None) -> str:
    """The region of the SecretProviderClasses: the operator's AWS_REGION, else AWS_DEFAULT_REGION, else
    us-east-2 (the reference's fallback)."""
    env = os.environ if environ is None else environ
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def objects_parameter(vault: str, aliases: Mapping[str, str]) -> str:
    """`parameters.objects`: one secretsmanager object, the vault secret, with a jmesPath entry per alias
    (alias → key in the vault secret; the path is the key quoted, as the reference writes it)."""
    entry: dict[str, Any] = {"objectName": vault, "objectType": OBJECT_TYPE, "objectVersionLabel": VERSION_LABEL}
    if aliases:
        entry["jmesPath"] = [{"objectAlias": alias, "path": f'"{key}"'} for alias, key in sorted(aliases.items())]
    return yaml.safe_dump([entry], sort_keys=True, default_flow_style=False)


@dataclass(frozen=True)
class ProviderClass:
    """One SecretProviderClass: `objects` maps an alias (a file in the CSI mount) to a key of the vault secret;
    `synced` maps a Kubernetes Secret the driver keeps to its keys (key → alias)."""

    name: str
    vault: str
    labels: Mapping[str, str]
    objects: Mapping[str, str]
    synced: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def body(self, namespace: str, region: str) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "provider": AWS,
            "parameters": {"objects": objects_parameter(self.vault, self.objects), "region": region},
        }
        if self.synced:
            spec["secretObjects"] = [
                {
                    "secretName": secret_name,
                    "type": "Opaque",
                    "labels": dict(self.labels),
                    "data": [{"key": key, "objectName": alias} for key, alias in sorted(data.items())],
                }
                for secret_name, data in sorted(self.synced.items())
            ]
        return {
            "apiVersion": SECRET_PROVIDER_CLASS.api_version,
            "kind": SECRET_PROVIDER_CLASS.kind,
            "metadata": {"name": self.name, "namespace": namespace, "labels": dict(self.labels)},
            "spec": spec,
        }

    def synced_ref(self, secret_name: str, key: str) -> SecretKeyRef:
        if key not in self.synced.get(secret_name, {}):
            raise KeyError(f"{self.name} syncs no key {key!r} into {secret_name}")
        return SecretKeyRef(secret_name, key)


def csi_volume(name: str, provider_class: str) -> dict[str, Any]:
    return {"name": name, "csi": {"driver": CSI_DRIVER, "readOnly": True,
                                  "volumeAttributes": {"secretProviderClass": provider_class}}}


def csi_file_mount(volume: str, path: str, alias: str) -> dict[str, Any]:
    return {"name": volume, "mountPath": path, "subPath": alias, "readOnly": True}


@dataclass
class AwsSecrets:
    """What a product of `secret.type: aws` adds: its SecretProviderClasses, where each logical key lives (in a
    Kubernetes Secret the driver syncs) and the pod parts that mount the CSI volume."""

    provider_classes: list[ProviderClass] = field(default_factory=list)
    refs: dict[str, SecretKeyRef] = field(default_factory=dict)
    pod: PodParts = field(default_factory=PodParts)
    license_parts: PodParts | None = None
    """The licence file from the CSI mount; None when the licence is a key given in the spec."""
    warnings: list[str] = field(default_factory=list)

    def objects(self, namespace: str, region: str) -> list[dict[str, Any]]:
        return [provider.body(namespace, region) for provider in self.provider_classes]

    def synced_secrets(self) -> list[str]:
        """The Kubernetes Secrets the CSI driver must have synced before the product can run."""
        return sorted({ref.name for ref in self.refs.values()})


def _license(spec: Any, layout: LicenseLayout, provider_class: str, alias: str) -> PodParts | None:
    """The licence file from the CSI mount, unless the spec gives the licence as a key (`type: KEY`)."""
    if getattr(spec.license, "type", None) == "KEY":
        return None
    return license_file_parts(layout, csi_volume(LICENSE_VOLUME, provider_class), alias)


def with_csi_mounted(parts: PodParts, provider_class: str, volume: str = "secret-csi-volume") -> PodParts:
    """The reference makes sure every pod mounts its SecretProviderClass (the driver syncs only then): when no
    volume of `parts` does, a volume `volume` mounted at /mnt/dummy."""
    mounted = any((v.get("csi") or {}).get("volumeAttributes", {}).get("secretProviderClass") == provider_class
                  for v in parts.volumes)
    if not mounted:
        parts.volumes.append(csi_volume(volume, provider_class))
        parts.mounts.append({"name": volume, "mountPath": DUMMY_MOUNT, "readOnly": True})
    return parts


# --- Connect ---------------------------------------------------------------------------------------------------
CONNECT_CLIENT_SECRET_FILE = "/etc/rstudio-connect/client-secret"
CONNECT_SECRET_KEY_FILE = "/var/lib/rstudio-connect/db/secret.key"


def _connect_uses_smtp(spec: Any) -> bool:
    server = spec.config.server if spec.config else None
    return bool(server and server.email_provider and server.email_provider.upper() == "SMTP")


def connect_secrets(spec: Any, site: str) -> AwsSecrets:
    from teamop.products.connect_config import auth_provider

    uses_oidc = auth_provider(spec.auth) == "oauth2"
    uses_smtp = _connect_uses_smtp(spec)
    name = child_name(site, "connect")
    objects = {"secret.key": "pub-secret-key", "pub-db-password": "pub-db-password", "pub.lic": "pub-license"}
    synced: dict[str, dict[str, str]] = {
        f"{name}-secret-key": {"secret.key": "secret.key"},
        f"{name}-db": {"password": "pub-db-password", "license": "pub.lic"},
    }
    refs = {"pub-secret-key": SecretKeyRef(f"{name}-secret-key", "secret.key"),
            "pub-db-password": SecretKeyRef(f"{name}-db", "password")}
    if uses_smtp:
        smtp = {f"smtp-{part}": f"pub-smtp-{part}" for part in ("host", "password", "port", "user")}
        objects.update(smtp)
        synced[f"{name}-smtp"] = {alias: alias for alias in smtp}
        refs.update({key: SecretKeyRef(f"{name}-smtp", alias) for alias, key in smtp.items()})
    if spec.dsn_secret:
        objects["odbc.ini"] = spec.dsn_secret
    if uses_oidc:
        objects["client-secret"] = "pub-client-secret"
    if spec.chronicle_sidecar_product_api_key_enabled:
        objects["pub-chronicle-api-key"] = "pub-chronicle-api-key"
        synced[f"{name}-chronicle"] = {"pub-chronicle-api-key": "pub-chronicle-api-key"}
        refs["pub-chronicle-api-key"] = SecretKeyRef(f"{name}-chronicle", "pub-chronicle-api-key")
    provider = ProviderClass(f"{name}-secrets", vault_name(spec.secret), component_labels(site, "connect"),
                             objects, synced)
    # The reference's marker env on the synced key Secret (the key itself is mounted from it as a file).
    pod = PodParts(env=[env_from_secret("DUMMY_SECRET_KEY", refs["pub-secret-key"])])
    if uses_oidc:
        pod.volumes.append(csi_volume("client-secret-volume", provider.name))
        pod.mounts.append(csi_file_mount("client-secret-volume", CONNECT_CLIENT_SECRET_FILE, "client-secret"))
    license = _license(spec, CONNECT_LICENSE, provider.name, "pub.lic")
    if license is None:
        with_csi_mounted(pod, provider.name)
    return AwsSecrets([provider], refs, pod, license)


# --- Connect's content sessions (the reference's site-session class) -------------------------------------------
SESSION_SECRET_PREFIX = "secret://"
SESSION_SECRET_HOST = "site-session"


@dataclass
class SessionSecrets:
    """A product's session pods with `secret.type: aws`: the class `<site>-<component>-site-session` (vault
    `<workloadCompoundName>-<site>.sessions.posit.team`), the session env with each `secret://site-session/<key>`
    value read from the Secret it syncs, and the volumes and mounts of the session pods."""

    provider_class: ProviderClass
    env: list[dict[str, Any]]
    parts: PodParts


def _session_key(value: str | None) -> str | None:
    """`<key>` of a `secret://site-session/<key>` value (None for any other value)."""
    text = (value or "").strip()
    if not text.startswith(SESSION_SECRET_PREFIX):
        return None
    host, _, key = text[len(SESSION_SECRET_PREFIX):].partition("/")
    return key if host == SESSION_SECRET_HOST and key else None


def session_secrets(spec: Any, site: str, component: str) -> SessionSecrets | None:
    """None unless the spec's secrets are in AWS and its session env names a site-session secret or it has a DSN
    secret (then sessions mount the class, as the reference's content sessions do)."""
    if not is_aws(getattr(spec, "secret", None)):
        return None
    pod = spec.session_config.pod if spec.session_config else None
    entries = [entry.to_dict() for entry in (pod.env if pod and pod.env else [])]
    keys = [key for entry in entries if (key := _session_key(entry.get("value")))]
    if not keys and not spec.dsn_secret:
        return None
    name = child_name(site, component, "site-session")
    objects = {key: key for key in keys}
    if spec.dsn_secret:
        objects["odbc.ini"] = spec.dsn_secret
    provider = ProviderClass(name, f"{spec.workload_compound_name or ''}-{site}.sessions.posit.team",
                             component_labels(site, component), objects, {name: objects})
    env: list[dict[str, Any]] = []
    for entry in entries:
        key = _session_key(entry.get("value"))
        if key is not None:
            env.append(env_from_secret(entry["name"], SecretKeyRef(name, key)))
        elif entry.get("value") or entry.get("valueFrom"):  # the reference drops entries with neither
            env.append(entry)
    parts = PodParts()
    if spec.dsn_secret:
        parts.volumes.append(csi_volume("dsn-volume", name))
        parts.mounts.append(csi_file_mount("dsn-volume", "/etc/odbc.ini", "odbc.ini"))
    elif keys:
        parts.volumes.append(csi_volume("session-csi", name))
        parts.mounts.append({"name": "session-csi", "mountPath": "/mnt/all-secrets", "readOnly": True})
    return SessionSecrets(provider, env, parts)


# --- Workbench -------------------------------------------------------------------------------------------------
WORKBENCH_TOKEN_DIR = "/etc/rstudio"


def workbench_secrets(spec: Any, site: str) -> AwsSecrets:
    from teamop.products.workbench.effective import auth_type, databricks_client_secret_key
    from teamop.products.workbench.secrets import databricks_keys_needed, snowflake_enabled

    uses_oidc = auth_type(spec) == "oidc"
    uses_snowflake = snowflake_enabled(spec)
    name = child_name(site, "workbench")
    secret = f"{name}-secret"
    objects = {"dev.lic": "dev-license", "admin_token": "dev-admin-token", "user_token": "dev-user-token",
               "dev-db-password": "dev-db-password", "dev-chronicle-api-key": "dev-chronicle-api-key"}
    synced: dict[str, dict[str, str]] = {secret: {"dev-db-password": "dev-db-password"}}
    if uses_snowflake:
        objects["snowflake-client-secret"] = "snowflake-client-secret"
        synced[secret]["snowflake-client-secret"] = "snowflake-client-secret"
    if uses_oidc:
        objects["client-secret"] = "dev-client-secret"
        synced[f"{name}-client-secret"] = {"client-secret": "client-secret"}
    if spec.dsn_secret:
        objects["odbc.ini"] = spec.dsn_secret
    if spec.chronicle_sidecar_product_api_key_enabled:
        synced[secret]["dev-chronicle-api-key"] = "dev-chronicle-api-key"
    provider = ProviderClass(f"{name}-secrets", vault_name(spec.secret), component_labels(site, "workbench"),
                             objects, synced)
    refs = {key: SecretKeyRef(secret, key) for key in synced[secret]}
    if uses_oidc:
        refs["dev-client-secret"] = SecretKeyRef(f"{name}-client-secret", "client-secret")
    pod = PodParts(volumes=[csi_volume("secret-volume", provider.name)])
    if uses_oidc:
        pod.mounts += [csi_file_mount("secret-volume", f"{WORKBENCH_TOKEN_DIR}/{token}", token)
                       for token in ("admin_token", "user_token")]
    if spec.dsn_secret:
        pod.volumes.append(csi_volume("dsn-volume", provider.name))
        pod.mounts.append(csi_file_mount("dsn-volume", "/etc/odbc.ini", "odbc.ini"))
    license = _license(spec, WORKBENCH_LICENSE, provider.name, "dev.lic")
    # The reference reads these with the AWS SDK; its SecretProviderClass does not carry them.
    warnings = [f"Azure Databricks workspace of client {client_id!r}: its client secret "
                f"({databricks_client_secret_key(client_id)}) cannot come from AWS Secrets Manager; set client-secret "
                "in the workspace's settings" for client_id in databricks_keys_needed(spec)]
    return AwsSecrets([provider], refs, pod, license, warnings)


# --- Package Manager -------------------------------------------------------------------------------------------
SSH_KEY_MOUNT_DIR = "/mnt/ssh-keys"
AWS_SSH_SOURCE = "aws-secrets-manager"


def ssh_vault_name(spec: Any, site: str) -> str:
    """The reference's vault of Package Manager's Git SSH keys."""
    return f"{spec.workload_compound_name or ''}-{site}-ssh-ppm-keys.posit.team"


def aws_ssh_keys(spec: Any) -> list[Any]:
    return [key for key in spec.git_ssh_keys or [] if key.secret_ref.source == AWS_SSH_SOURCE]


def package_manager_secrets(spec: Any, site: str) -> AwsSecrets:
    name = child_name(site, "packagemanager")
    key_secret = f"{name}-key"
    provider = ProviderClass(
        f"{name}-secrets", vault_name(spec.secret), component_labels(site, "packagemanager"),
        {"pkg.lic": "pkg-license", "key": "pkg-secret-key", "password": "pkg-db-password"},
        {key_secret: {"key": "key"}, f"{name}-db": {"password": "password", "license": "pkg.lic"}},
    )
    refs = {"pkg-secret-key": SecretKeyRef(key_secret, "key"),
            "pkg-db-password": SecretKeyRef(f"{name}-db", "password")}
    providers = [provider]
    pod = PodParts()
    ssh_keys = aws_ssh_keys(spec) if is_aws(spec.secret) else []
    if ssh_keys:
        ssh = ProviderClass(f"{name}-ssh-secrets", ssh_vault_name(spec, site),
                            component_labels(site, "packagemanager"),
                            {key.name: key.secret_ref.name for key in ssh_keys})
        providers.append(ssh)
        for key in ssh_keys:
            volume = f"ssh-key-{key.name}"
            pod.volumes.append(csi_volume(volume, ssh.name))
            pod.mounts.append(csi_file_mount(volume, f"{SSH_KEY_MOUNT_DIR}/{key.name}", key.name))
    license = _license(spec, PACKAGE_MANAGER_LICENSE, provider.name, "pkg.lic")
    if license is None:
        with_csi_mounted(pod, provider.name)
    return AwsSecrets(providers, refs, pod, license)


PRODUCTS = {"connect": connect_secrets, "workbench": workbench_secrets, "packagemanager": package_manager_secrets}


def product_secrets(component: str, spec: Any, site: str) -> AwsSecrets | None:
    """The product's AWS secrets when its `spec.secret` is of type aws (None otherwise, and for products the
    reference gives no SecretProviderClass: Chronicle, Flightdeck)."""
    layout = PRODUCTS.get(component)
    if layout is None or not is_aws(getattr(spec, "secret", None)):
        return None
    return layout(spec, site)


# --- Keycloak (owned by the Site) ------------------------------------------------------------------------------
KEYCLOAK_KEYS = ("keycloak-db-user", "keycloak-db-password")


def keycloak_login_secret(site: str) -> str:
    """The Secret the driver syncs Keycloak's database login into (keys keycloak-db-user, keycloak-db-password)."""
    return f"{site}-keycloak-db-login"


def keycloak_provider_class(site: str, vault: str, labels: Mapping[str, str]) -> ProviderClass:
    """`<site>-keycloak`, labelled with the Site's labels (the synced Secret too, so with managed-by)."""
    labels = {**labels, MANAGED_BY_LABEL: MANAGED_BY}
    return ProviderClass(f"{site}-keycloak", vault, labels, {key: key for key in KEYCLOAK_KEYS},
                         {keycloak_login_secret(site): {key: key for key in KEYCLOAK_KEYS}})


def sync_deployment(name: str, namespace: str, labels: Mapping[str, str], selector: Mapping[str, str],
                    service_account: str, provider_class: str, volume: str, image: str) -> dict[str, Any]:
    """A pod that does nothing but mount a SecretProviderClass, for secrets no product pod mounts (the driver
    syncs only while a pod mounts the volume): the reference's `<site>-keycloak-spc-consumer`."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(selector)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "serviceAccountName": service_account,
                    "containers": [{
                        "name": "dummy",
                        "image": image,
                        "imagePullPolicy": "Always",
                        "command": ["sleep"],
                        "args": ["infinity"],
                        "securityContext": {
                            "runAsUser": 1000, "runAsNonRoot": True, "allowPrivilegeEscalation": False,
                            "privileged": False, "capabilities": {"drop": ["ALL"]},
                        },
                        "volumeMounts": [{"name": volume, "mountPath": DUMMY_MOUNT, "readOnly": True}],
                    }],
                    "volumes": [csi_volume(volume, provider_class)],
                },
            },
        },
    }


def keycloak_sync_deployment(site: str, namespace: str, labels: Mapping[str, str],
                             selector: Mapping[str, str]) -> dict[str, Any]:
    """`<site>-keycloak-spc-consumer` (busybox, ServiceAccount `<site>-keycloak`) mounting `<site>-keycloak`."""
    return sync_deployment(f"{site}-keycloak-spc-consumer", namespace, labels, selector, f"{site}-keycloak",
                           f"{site}-keycloak", "keycloak-csi-volume", "busybox")


# --- the database server's admin login (the reference reads it with the AWS SDK; teamop from a synced Secret) -
def synced_secret_name(vault: str) -> str:
    """The Kubernetes Secret teamop reads an admin-login AWS secret from: the vault name lower-cased, every run
    of characters a Secret name cannot hold replaced by '-' (`rds!db-1a2b` → `rds-db-1a2b`)."""
    name = re.sub(r"[^a-z0-9.-]+", "-", vault.lower()).strip("-.")
    return name[:253].rstrip("-.") or "aws-secret"
