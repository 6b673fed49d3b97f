"""The PostgresDatabase a product asks for (COMPAT.md "Databases"): `<site>-<component>`, owned by the product CR,
database and role `<site>_<component>`, the product's schemas."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1.common import DatabaseConfig
from teamop.api.v1beta1.product import ProductSpec
from teamop.products.context import DatabaseTarget, SecretKeyRef
from teamop.products.naming import child_name, database_identifier

API_VERSION = "core.posit.team/v1beta1"

# Schemas per product; Workbench uses `public`.
SCHEMAS: dict[str, tuple[str, ...]] = {
    "connect": ("connect", "instrumentation"),
    "packagemanager": ("pm", "metrics"),
    "workbench": (),
    "keycloak": ("keycloak",),
}

# The site-secret key holding each product role's password (BEHAVIOUR.md).
PASSWORD_KEYS: dict[str, str] = {
    "connect": "pub-db-password",
    "packagemanager": "pkg-db-password",
    "workbench": "dev-db-password",
    "keycloak": "keycloak-db-password",
}


def product_schemas(component: str, config: DatabaseConfig | None) -> tuple[str, ...]:
    """The product's schemas, main one first. Connect's can be renamed (the Site's `databaseSettings` become
    `databaseConfig.schema` and `.instrumentationSchema`); one schema when both name the same. The other
    products' are fixed, as in the reference."""
    defaults = SCHEMAS[component]
    if config is None or component != "connect":
        return defaults
    main, instrumentation = config.schema_ or defaults[0], config.instrumentation_schema or defaults[1]
    return (main,) if main == instrumentation else (main, instrumentation)


def database_target(
    site: str, component: str, *, host: str, port: int, sslmode: str, password: SecretKeyRef,
    schemas: tuple[str, ...] | None = None,
) -> DatabaseTarget:
    """The product's database; `schemas` defaults to the product's own (SCHEMAS)."""
    name = database_identifier(site, component)
    return DatabaseTarget(
        host=host, port=port, database=name, user=name, sslmode=sslmode, password=password,
        schemas=SCHEMAS[component] if schemas is None else schemas,
    )


def postgres_database(
    target: DatabaseTarget,
    *,
    site: str,
    namespace: str,
    component: str,
    workload_secret: dict[str, Any] | None,
    main_database_credential_secret: dict[str, Any] | None,
    site_secret: dict[str, Any] | None,
    drop_on_teardown: bool,
) -> dict[str, Any]:
    """The PostgresDatabase body (labels and owner are added by the runtime when it applies it)."""
    spec: dict[str, Any] = {
        "url": f"postgres://{target.user}@{target.host}:{target.port}/{target.database}",
        "secretVault": target.password.name,
        "secretPasswordKey": target.password.key,
        "schemas": list(target.schemas),
        "teardown": {"drop": drop_on_teardown},
    }
    if workload_secret:
        spec["workloadSecret"] = workload_secret
    if main_database_credential_secret:
        spec["mainDbCredentialSecret"] = main_database_credential_secret
    if site_secret:
        spec["secret"] = site_secret
    return {
        "apiVersion": API_VERSION,
        "kind": "PostgresDatabase",
        "metadata": {"name": child_name(site, component), "namespace": namespace},
        "spec": spec,
    }


def product_postgres_database(
    target: DatabaseTarget, spec: ProductSpec, *, site: str, namespace: str, component: str
) -> dict[str, Any]:
    """The PostgresDatabase of a product CR: its Secrets and teardown choice taken from the product's spec."""
    return postgres_database(
        target,
        site=site,
        namespace=namespace,
        component=component,
        workload_secret=spec.workload_secret.to_dict() if spec.workload_secret else None,
        main_database_credential_secret=(
            spec.main_database_credential_secret.to_dict() if spec.main_database_credential_secret else None
        ),
        site_secret=spec.secret.to_dict() if spec.secret else None,
        drop_on_teardown=bool(spec.database_config and spec.database_config.drop_on_teardown),
    )
