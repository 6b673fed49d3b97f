"""Keycloak of a Site (`spec.keycloak.enabled`), as the reference's Site controller makes it: the Keycloak
operator's `Keycloak` resource `<site>-keycloak`, its database `<site>-keycloak` (schema `keycloak`, owned by the
role `<site>_keycloak`), the ServiceAccount its pods run as, and the Traefik Middleware its Ingress names. With
`secret.type: aws` its database login comes from AWS Secrets Manager: the SecretProviderClass `<site>-keycloak`
syncs it into `<site>-keycloak-db-login`, and the Deployment `<site>-keycloak-spc-consumer` mounts it (the driver
syncs only for a pod that mounts it; the Keycloak resource offers no volume of its own). Everything is owned by the
Site."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products.aws_secrets import (
    aws_region,
    is_aws,
    keycloak_login_secret,
    keycloak_provider_class,
    keycloak_sync_deployment,
    vault_name,
)
from teamop.products.context import SecretKeyRef
from teamop.products.database import PASSWORD_KEYS, SCHEMAS, database_target, postgres_database
from teamop.products.naming import MANAGED_BY, MANAGED_BY_LABEL, child_name, database_identifier, generated_secret_name
from teamop.products.objects import eks_role_annotations
from teamop.products.objects import metadata as metadata_of
from teamop.products.site.labels import site_labels
from teamop.products.site.products import DatabaseServer
from teamop.products.traefik import forward_middleware, forward_middleware_name, middlewares_annotation

KEYCLOAK_API_VERSION = "k8s.keycloak.org/v2alpha1"
KEYCLOAK_USER_KEY = "keycloak-db-user"
PASSWORD_KEY = PASSWORD_KEYS["keycloak"]
KEYCLOAK_SCHEMA = SCHEMAS["keycloak"][0]
HOST_PREFIX = "key"
HTTP_PORT = 8080
HTTPS_PORT = 8443
POOL = {"poolInitialSize": 1, "poolMinSize": 2, "poolMaxSize": 5}
# The Keycloak features the reference turns on (its list, in its order).
FEATURES = (
    "account-api", "account", "admin-api", "admin-fine-grained-authz", "admin", "authorization", "ciba",
    "client-policies", "client-secret-rotation", "client-types", "declarative-ui", "device-flow", "docker", "dpop",
    "dynamic-scopes", "login", "oid4vc-vci", "par", "passkeys", "persistent-user-sessions", "preview",
    "recovery-codes", "scripts", "step-up-authentication", "token-exchange", "update-email", "web-authn",
)
# Behind the ingress controller, which terminates TLS: Keycloak trusts its X-Forwarded-* headers.
PROXY_ENV = ({"name": "KC_PROXY", "value": "edge"}, {"name": "KC_PROXY_HEADERS", "value": "xforwarded"})


def keycloak_name(site: str) -> str:
    """`<site>-keycloak`: the Keycloak resource, its ServiceAccount, its PostgresDatabase and NetworkPolicy."""
    return child_name(site, "keycloak")


def keycloak_host(spec: SiteSpec) -> str:
    return f"{HOST_PREFIX}.{spec.domain}"


def middleware_name(site: str) -> str:
    """`<site>-keycloak-forward`."""
    return forward_middleware_name(keycloak_name(site))


def aws_login(site: str) -> tuple[SecretKeyRef, SecretKeyRef]:
    """With `secret.type: aws`: the role's name and password, in the Secret the CSI driver syncs them into."""
    secret = keycloak_login_secret(site)
    return SecretKeyRef(secret, KEYCLOAK_USER_KEY), SecretKeyRef(secret, PASSWORD_KEY)


def aws_secret_objects(site: str, namespace: str, spec: SiteSpec) -> list[dict[str, Any]]:
    """The SecretProviderClass `<site>-keycloak` and the Deployment that mounts it, as the reference makes them."""
    labels = site_labels(site)
    selector = {MANAGED_BY_LABEL: MANAGED_BY, "app.kubernetes.io/name": labels["app.kubernetes.io/name"],
                "app.kubernetes.io/instance": site}
    return [keycloak_provider_class(site, vault_name(spec.secret), labels).body(namespace, aws_region()),
            keycloak_sync_deployment(site, namespace, {**labels, MANAGED_BY_LABEL: MANAGED_BY}, selector)]


def keycloak_service_account(site: str, namespace: str, spec: SiteSpec) -> dict[str, Any]:
    """`<site>-keycloak`, with the reference's IAM role (`keycloak.<clusterDate>.<workloadCompoundName>.posit.team`,
    only when the Site names both an AWS account and a cluster date)."""
    role = f"keycloak.{spec.cluster_date}.{spec.workload_compound_name or ''}.posit.team"
    annotations = eks_role_annotations(spec.aws_account_id, role) if spec.cluster_date else {}
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": metadata_of(keycloak_name(site), namespace, site_labels(site), annotations),
            "automountServiceAccountToken": True}


def keycloak_middleware(site: str, namespace: str, spec: SiteSpec) -> dict[str, Any]:
    """`<site>-keycloak-forward`: tells Keycloak it is served on HTTPS at its host."""
    return forward_middleware(middleware_name(site), namespace, site_labels(site), host=keycloak_host(spec))


def _pod_template(site: str, spec: SiteSpec) -> dict[str, Any]:
    """The pods run as `<site>-keycloak` with the proxy settings. `nodeSelector` and `imagePullPolicy` of
    `spec.keycloak` go here too (teamop; the reference ignores them, and the Keycloak resource has no field for
    either)."""
    keycloak = spec.keycloak
    # The empty name is the reference's (its Go type always writes one); the Keycloak operator names the container.
    container: dict[str, Any] = {"name": "", "env": [dict(variable) for variable in PROXY_ENV]}
    if keycloak and keycloak.image_pull_policy:
        container["imagePullPolicy"] = keycloak.image_pull_policy
    pod: dict[str, Any] = {"serviceAccountName": keycloak_name(site), "containers": [container]}
    if keycloak and keycloak.node_selector:
        pod["nodeSelector"] = dict(keycloak.node_selector)
    return {"spec": pod}


def keycloak_resource(
    site: str, namespace: str, spec: SiteSpec, database: DatabaseServer, user: SecretKeyRef, password: SecretKeyRef
) -> dict[str, Any]:
    """The Keycloak operator's resource with the reference's settings: its database in schema `keycloak` with the
    reference's pool sizes and XA transactions, plain HTTP behind the ingress controller at `key.<domain>` (strict
    hostname), its Ingress naming the forward Middleware, the reference's features."""
    keycloak_spec: dict[str, Any] = {
        "db": {
            "vendor": "postgres",
            "usernameSecret": {"name": user.name, "key": user.key},
            "passwordSecret": {"name": password.name, "key": password.key},
            "host": database.host,
            "database": database_identifier(site, "keycloak"),
            "port": database.port,
            "schema": KEYCLOAK_SCHEMA,
            **POOL,
        },
        "http": {"httpEnabled": True, "httpPort": HTTP_PORT, "httpsPort": HTTPS_PORT},
        "hostname": {"hostname": keycloak_host(spec), "strict": True, "strictBackchannel": True},
        "instances": 1,
        "ingress": {"enabled": True,
                    "annotations": middlewares_annotation(namespace, [middleware_name(site)])},
        "features": {"enabled": list(FEATURES)},
        "transaction": {"xaEnabled": True},
        "unsupported": {"podTemplate": _pod_template(site, spec)},
    }
    if spec.keycloak and spec.keycloak.image:
        keycloak_spec["image"] = spec.keycloak.image
    return {"apiVersion": KEYCLOAK_API_VERSION, "kind": "Keycloak",
            "metadata": metadata_of(keycloak_name(site), namespace, site_labels(site)),
            "spec": keycloak_spec}


def keycloak_objects(
    site: str, namespace: str, spec: SiteSpec, database: DatabaseServer, password: SecretKeyRef, *,
    user: SecretKeyRef | None = None, middleware: bool = False, provider_class: bool = False,
) -> list[dict[str, Any]]:
    """The Keycloak resource, its ServiceAccount, its PostgresDatabase, when the Traefik CRD is served
    (`middleware`) its forward Middleware, and with `secret.type: aws`, when the SecretProviderClass CRD is served
    (`provider_class`), what syncs its login. `user`, `password`: where the role's name and password are (`user`
    defaults to the `-generated` Secret, which the Site controller keeps); with `secret.type: aws` always the
    synced `<site>-keycloak-db-login`."""
    if is_aws(spec.secret):
        user, password = aws_login(site)
    user = user or SecretKeyRef(generated_secret_name(site, "keycloak"), KEYCLOAK_USER_KEY)
    target = database_target(site, "keycloak", host=database.host, port=database.port, sslmode=database.sslmode,
                             password=password)
    objects = [
        keycloak_service_account(site, namespace, spec),
        postgres_database(
            target, site=site, namespace=namespace, component="keycloak",
            workload_secret=spec.workload_secret.to_dict() if spec.workload_secret else None,
            main_database_credential_secret=(spec.main_database_credential_secret.to_dict()
                                             if spec.main_database_credential_secret else None),
            site_secret=spec.secret.to_dict() if spec.secret else None,
            drop_on_teardown=bool(spec.drop_database_on_tear_down),
        ),
    ]
    if middleware:
        objects.append(keycloak_middleware(site, namespace, spec))
    if provider_class and is_aws(spec.secret):
        objects += aws_secret_objects(site, namespace, spec)
    objects.append(keycloak_resource(site, namespace, spec, database, user, password))
    return objects
