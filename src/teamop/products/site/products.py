"""The product resources a Site asks for (COMPAT.md "What is enabled"), each spec derived from the Site's section
for that product plus the site-wide settings. Product CRs are named after the Site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.api.v1beta1.common import FeatureEnabler
from teamop.api.v1beta1.site import SiteFlightdeck
from teamop.products import flightdeck
from teamop.products.site.settings import chronicle_config, compact, connect_config, package_manager_config
from teamop.products.site.volumes import product_volume, shared_directory_volume

API_VERSION = "core.posit.team/v1beta1"
PACKAGE_MANAGER_CRAN_PATH = "/cran/__linux__/jammy/latest"

# Site section (JSON name) -> product kind, component
PRODUCTS: dict[str, tuple[str, str]] = {
    "connect": ("Connect", "connect"),
    "workbench": ("Workbench", "workbench"),
    "packageManager": ("PackageManager", "packagemanager"),
    "chronicle": ("Chronicle", "chronicle"),
    "flightdeck": ("Flightdeck", "flightdeck"),
}


@dataclass(frozen=True)
class DatabaseServer:
    """Where the products' databases live, from the admin URL (no credentials)."""

    host: str
    port: int
    sslmode: str


def enabled_sections(spec: SiteSpec) -> list[str]:
    """Site sections (JSON names) whose product is deployed."""
    enabled = [name for name, section in (("connect", spec.connect), ("workbench", spec.workbench),
                                          ("packageManager", spec.package_manager)) if section is not None]
    if spec.chronicle is not None and spec.chronicle.enabled is not False:
        enabled.append("chronicle")
    if spec.flightdeck is None or spec.flightdeck.enabled is not False:
        enabled.append("flightdeck")
    return enabled


def chronicle_agent_image(spec: SiteSpec) -> str | None:
    """The agent sidecar image for Connect and Workbench: only with Chronicle enabled and `agentImage` set."""
    if "chronicle" not in enabled_sections(spec) or spec.chronicle is None:
        return None
    return spec.chronicle.agent_image or None


def product_host(spec: SiteSpec, section: str) -> str:
    """`<domainPrefix>.<domain>`; Flightdeck serves the bare domain."""
    prefix = {
        "connect": spec.connect.domain_prefix if spec.connect else "connect",
        "workbench": spec.workbench.domain_prefix if spec.workbench else "workbench",
        "packageManager": spec.package_manager.domain_prefix if spec.package_manager else "packagemanager",
    }.get(section)
    return f"{prefix}.{spec.domain}" if prefix else spec.domain


def cran_repository_url(spec: SiteSpec) -> str | None:
    """The R package repository Connect uses: `packageManagerUrl` as it is (the reference uses it verbatim, as
    Workbench does), else the CRAN repository of the Site's own Package Manager (when it is deployed)."""
    if spec.package_manager_url:
        return spec.package_manager_url
    if spec.package_manager is not None:
        return f"https://{product_host(spec, 'packageManager')}{PACKAGE_MANAGER_CRAN_PATH}"
    return None


def _dump(value: Any) -> Any:
    """A model (or list of models) as JSON, only the fields that were set."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_dump(item) for item in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def _site_wide(spec: SiteSpec, database: DatabaseServer | None) -> dict[str, Any]:
    """What every server product (Connect, Workbench, Package Manager) takes from the Site."""
    database_config = None
    if database is not None:
        database_config = {"host": f"{database.host}:{database.port}", "sslMode": database.sslmode,
                           "dropOnTeardown": bool(spec.drop_database_on_tear_down)}
    return compact({
        "awsAccountId": spec.aws_account_id,
        "clusterDate": spec.cluster_date,
        "workloadCompoundName": spec.workload_compound_name,
        "secretType": (spec.secret.type if spec.secret else None) or spec.secret_type,
        "secret": _dump(spec.secret),
        "workloadSecret": _dump(spec.workload_secret),
        "mainDatabaseCredentialSecret": _dump(spec.main_database_credential_secret),
        "imagePullSecrets": spec.image_pull_secrets,
        "ingressClass": spec.ingress_class,
        "ingressAnnotations": spec.ingress_annotations,
        "databaseConfig": database_config,
        "chronicleImage": chronicle_agent_image(spec),
    })


def _connect_session_config(site: str, spec: SiteSpec) -> dict[str, Any]:
    """Connect's session pods: the Site's pull settings and `<site>-connect-session`; the experimental features'
    session environment, pull policy and service account where they are set."""
    assert spec.connect is not None
    experimental = spec.connect.experimental_features
    pod = compact({
        "serviceAccountName": (experimental.session_service_account_name if experimental else None)
        or f"{site}-connect-session",
        "imagePullPolicy": (experimental.session_image_pull_policy if experimental else None)
        or spec.connect.image_pull_policy,
        "imagePullSecrets": [{"name": name} for name in spec.image_pull_secrets or []],
        "env": _dump(experimental.session_env_vars) if experimental else None,
    })
    # Written as the reference writes them (its unset structs); the launcher templates treat {} as unset.
    pod.update({"containerSecurityContext": {}, "defaultSecurityContext": {}, "securityContext": {}})
    return {"pod": pod}


def connect_spec(site: str, spec: SiteSpec, database: DatabaseServer | None) -> dict[str, Any]:
    section = spec.connect
    assert section is not None
    experimental = section.experimental_features
    site_wide = _site_wide(spec, database)
    if "databaseConfig" in site_wide and section.database_settings is not None:
        site_wide["databaseConfig"].update(compact({
            "schema": section.database_settings.schema_,
            "instrumentationSchema": section.database_settings.instrumentation_schema,
        }))
    resource = compact({
        **site_wide,
        "image": section.image,
        "imagePullPolicy": section.image_pull_policy,
        "license": _dump(section.license),
        "volume": product_volume(site, spec, "connect"),
        "additionalVolumes": [volume] if (volume := shared_directory_volume(site, spec)) else None,
        "replicas": section.replicas or 1,  # 0 means one, as in the reference
        "nodeSelector": section.node_selector,
        "addEnv": section.add_env,
        "sessionImage": section.session_image,
        "url": product_host(spec, "connect"),
        "offHostExecution": True,
        "debug": spec.debug,
        "dsnSecret": experimental.dsn_secret if experimental else None,
        "chronicleSidecarProductApiKeyEnabled":
            experimental.chronicle_sidecar_product_api_key_enabled if experimental else None,
        "sessionConfig": _connect_session_config(site, spec),
        "config": connect_config(spec, cran_repository_url(spec)),
    })
    resource["auth"] = _dump(section.auth) or {}
    return resource


def workbench_spec(site: str, spec: SiteSpec, database: DatabaseServer | None) -> dict[str, Any]:
    """Workbench's spec is mostly its configuration files, derived by the Workbench renderer's own mapping."""
    from teamop.products.workbench import SiteInputs as WorkbenchSiteInputs
    from teamop.products.workbench import workbench_spec_from_site

    inputs = WorkbenchSiteInputs(
        site_name=site,
        database_host=f"{database.host}:{database.port}" if database else None,
        ssl_mode=database.sslmode if database else None,
        chronicle_agent_image=chronicle_agent_image(spec),
    )
    result: dict[str, Any] = workbench_spec_from_site(spec, inputs).model_dump(mode="json", by_alias=True,
                                                                             exclude_none=True)
    return result


def package_manager_spec(site: str, spec: SiteSpec, database: DatabaseServer | None) -> dict[str, Any]:
    section = spec.package_manager
    assert section is not None
    site_wide = _site_wide(spec, database)
    site_wide.pop("chronicleImage", None)
    return compact({
        **site_wide,
        "image": section.image,
        "imagePullPolicy": section.image_pull_policy,
        "license": _dump(section.license),
        "volume": _dump(section.volume),
        "replicas": section.replicas or 1,  # 0 means one, as in the reference
        "nodeSelector": section.node_selector,
        "addEnv": section.add_env,
        "url": product_host(spec, "packageManager"),
        "gitSSHKeys": _dump(section.git_ssh_keys),
        "azureFiles": _dump(section.azure_files),
        "config": package_manager_config(site, spec),
    })


def chronicle_spec(site: str, spec: SiteSpec) -> dict[str, Any]:
    section = spec.chronicle
    assert section is not None
    return compact({
        "awsAccountId": spec.aws_account_id,
        "clusterDate": spec.cluster_date,
        "workloadCompoundName": spec.workload_compound_name,
        "image": section.image,
        "nodeSelector": section.node_selector,
        "addEnv": section.add_env,
        "imagePullSecrets": spec.image_pull_secrets,
        "config": chronicle_config(site, spec),
    })


def flightdeck_spec(site: str, spec: SiteSpec) -> dict[str, Any]:
    section = spec.flightdeck or SiteFlightdeck()
    image = flightdeck.resolve_image(section.image)
    # The reference pulls its (mutable `latest`) image Always; teamop's own image, used when none is named,
    # keeps the kubelet's default (a dev cluster's locally loaded operator image cannot be pulled).
    pull_policy = section.image_pull_policy or ("Always" if image else None)
    features = section.feature_enabler or FeatureEnabler()
    return compact({
        "siteName": site,
        "domain": spec.domain,
        "image": image,
        "imagePullPolicy": pull_policy,
        "port": flightdeck.CONTAINER_PORT,
        "replicas": section.replicas or 1,  # 0 means one, as in the reference
        "featureEnabler": features.model_dump(mode="json", by_alias=True),
        "logLevel": section.log_level,
        "logFormat": section.log_format,
        "ingressClass": spec.ingress_class,
        "ingressAnnotations": spec.ingress_annotations,
        "imagePullSecrets": spec.image_pull_secrets,
        "awsAccountId": spec.aws_account_id,
        "clusterDate": spec.cluster_date,
        "workloadCompoundName": spec.workload_compound_name,
    })


def product_resources(
    site: str, namespace: str, spec: SiteSpec, database: DatabaseServer | None
) -> list[dict[str, Any]]:
    """The product CRs of the enabled products."""
    builders = {
        "connect": lambda: connect_spec(site, spec, database),
        "workbench": lambda: workbench_spec(site, spec, database),
        "packageManager": lambda: package_manager_spec(site, spec, database),
        "chronicle": lambda: chronicle_spec(site, spec),
        "flightdeck": lambda: flightdeck_spec(site, spec),
    }
    resources = []
    for section in enabled_sections(spec):
        kind, _ = PRODUCTS[section]
        resources.append({
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": {"name": site, "namespace": namespace},
            "spec": builders[section](),
        })
    return resources
