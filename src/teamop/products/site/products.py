"""The product resources a Site asks for (COMPAT.md "What is enabled"), each spec derived from the Site's section
for that product plus the site-wide settings. Product CRs are named after the Site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products.site.volumes import product_volume, shared_directory_volume

API_VERSION = "core.posit.team/v1beta1"
DEFAULT_SCHEDULE_CONCURRENCY = 2
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


def package_manager_url(spec: SiteSpec) -> str | None:
    """The Package Manager the other products use: `packageManagerUrl`, else the Site's own (when enabled)."""
    if spec.package_manager_url:
        return spec.package_manager_url.rstrip("/")
    if spec.package_manager is not None:
        return f"https://{product_host(spec, 'packageManager')}"
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


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None or an empty mapping/list."""
    return {k: v for k, v in values.items() if v is not None and v != {} and v != []}


def _site_wide(spec: SiteSpec, database: DatabaseServer | None) -> dict[str, Any]:
    """What every server product (Connect, Workbench, Package Manager) takes from the Site."""
    database_config = None
    if database is not None:
        database_config = {"host": f"{database.host}:{database.port}", "sslMode": database.sslmode,
                           "dropOnTeardown": bool(spec.drop_database_on_tear_down)}
    return _compact({
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


def _session_pod(site: str, component: str, spec: SiteSpec, service_account: str | None) -> dict[str, Any]:
    pod = _compact({
        "serviceAccountName": service_account or f"{site}-{component}-session",
        "imagePullSecrets": [{"name": name} for name in spec.image_pull_secrets or []],
    })
    return {"pod": pod}


def connect_spec(site: str, spec: SiteSpec, database: DatabaseServer | None) -> dict[str, Any]:
    section = spec.connect
    assert section is not None
    experimental = section.experimental_features
    repository = package_manager_url(spec)
    config = _compact({
        "Applications": {"ScheduleConcurrency": section.schedule_concurrency},
        "Server": _compact({
            "LoggedInWarning": section.logged_in_warning,
            "PublicWarning": section.public_warning,
            "SenderEmail": experimental.mail_sender if experimental else None,
            "SenderEmailDisplayName": experimental.mail_display_name if experimental else None,
            "EmailTo": experimental.mail_target if experimental else None,
        }),
        "RPackageRepositories": {name: {"Url": f"{repository}{PACKAGE_MANAGER_CRAN_PATH}"}
                                 for name in ("CRAN", "RSPM")} if repository else None,
    })
    return _compact({
        **_site_wide(spec, database),
        "image": section.image,
        "imagePullPolicy": section.image_pull_policy,
        "license": _dump(section.license),
        "volume": product_volume(site, spec, "connect"),
        "additionalVolumes": [volume] if (volume := shared_directory_volume(site, spec)) else None,
        "auth": _dump(section.auth) or {},
        "replicas": section.replicas if section.replicas is not None else 1,
        "nodeSelector": section.node_selector,
        "addEnv": section.add_env,
        "sessionImage": section.session_image,
        "url": product_host(spec, "connect"),
        "offHostExecution": True,
        "debug": spec.debug,
        "dsnSecret": experimental.dsn_secret if experimental else None,
        "chronicleSidecarProductApiKeyEnabled":
            experimental.chronicle_sidecar_product_api_key_enabled if experimental else None,
        "sessionConfig": _session_pod(site, "connect", spec,
                                      experimental.session_service_account_name if experimental else None),
        "config": config,
    })


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
    config = _compact({"S3Storage": {"Bucket": section.s3_bucket} if section.s3_bucket else None})
    return _compact({
        **site_wide,
        "image": section.image,
        "imagePullPolicy": section.image_pull_policy,
        "license": _dump(section.license),
        "volume": _dump(section.volume),
        "replicas": section.replicas if section.replicas is not None else 1,
        "nodeSelector": section.node_selector,
        "addEnv": section.add_env,
        "url": product_host(spec, "packageManager"),
        "gitSSHKeys": _dump(section.git_ssh_keys),
        "azureFiles": _dump(section.azure_files),
        "config": config,
    })


def chronicle_spec(site: str, spec: SiteSpec) -> dict[str, Any]:
    section = spec.chronicle
    assert section is not None
    config = _compact({"S3Storage": {"Enabled": True, "Bucket": section.s3_bucket} if section.s3_bucket else None})
    return _compact({
        "awsAccountId": spec.aws_account_id,
        "clusterDate": spec.cluster_date,
        "workloadCompoundName": spec.workload_compound_name,
        "image": section.image,
        "nodeSelector": section.node_selector,
        "addEnv": section.add_env,
        "imagePullSecrets": spec.image_pull_secrets,
        "config": config,
    })


def flightdeck_spec(site: str, spec: SiteSpec) -> dict[str, Any]:
    section = spec.flightdeck
    return _compact({
        "siteName": site,
        "domain": spec.domain,
        "image": section.image if section else None,
        "imagePullPolicy": section.image_pull_policy if section else None,
        "replicas": section.replicas if section and section.replicas is not None else 1,
        "featureEnabler": _dump(section.feature_enabler) if section else None,
        "logLevel": section.log_level if section else None,
        "logFormat": section.log_format if section else None,
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
