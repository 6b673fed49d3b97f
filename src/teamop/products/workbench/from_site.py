"""The Workbench CR's spec for a Site: what the Site controller writes, derived from `spec.workbench` and the
site-wide settings. Pure.

The Workbench CR carries Workbench's configuration files as data (`config`, `secretConfig`, `sessionConfig`),
as the reference operator's does, so a Workbench CR written by either operator renders the same. Here the Site's
user-facing settings become those files: admin groups, user provisioning, resource profiles and request
ratios, session images, tolerations and service account, privileged sessions, IDE settings, Databricks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from teamop.api.v1beta1.base import ApiModel
from teamop.api.v1beta1.common import (
    DatabaseConfig,
    PodConfig,
    SessionConfig,
    VolumeSpec,
)
from teamop.api.v1beta1.k8s import LocalObjectReference
from teamop.api.v1beta1.site import SiteSpec, SiteWorkbench, SiteWorkbenchExperimentalFeatures
from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.api.v1beta1.workbench_config import (
    DatabricksIniSection,
    JupyterConfig,
    KubernetesProfile,
    LauncherClusterSection,
    LauncherConf,
    LauncherEnvConfig,
    LauncherKubernetesConf,
    LauncherServerSection,
    LoggingConf,
    LoggingSection,
    PositronConf,
    ReposConf,
    ResourceProfile,
    RServerConf,
    RSessionConf,
    VSCodeConf,
    WorkbenchConfig,
    WorkbenchDcfConfig,
    WorkbenchIniConfig,
    WorkbenchProfilesConfig,
    WorkbenchSecretConfig,
    WorkbenchSecretIniConfig,
    WorkbenchSessionIniConfig,
    WorkbenchSessionJsonConfig,
    WorkbenchSessionNewlineConfig,
)
from teamop.products import images
from teamop.products.site.volumes import product_volume, shared_directory_volume
from teamop.products.workbench import names
from teamop.products.workbench.server_config import resource_profile_order

DEFAULT_ADMIN_GROUP = "workbench-admin"
DEFAULT_WWW_THREAD_POOL_SIZE = 16
DEFAULT_PROXY_TIMEOUT_SECONDS = 30
DEFAULT_CPU_REQUEST_RATIO = "0.6"
DEFAULT_MEMORY_REQUEST_RATIO = "0.8"
VSCODE_ARGS = "--host=0.0.0.0"
LAUNCHER_SERVER_USER = "rstudio-server"


def default_resource_profiles() -> dict[str, ResourceProfile]:
    return {
        "default": ResourceProfile(name="Small", cpus="1", mem_mb="2000"),
        "medium": ResourceProfile(name="Medium", cpus="2", mem_mb="4000"),
        "zz-large": ResourceProfile(name="Large", cpus="4", mem_mb="8000"),
    }


@dataclass(frozen=True)
class SiteInputs:
    """What the Site controller has resolved and the Workbench spec needs."""

    site_name: str
    database_host: str | None = None
    """host:port of the PostgreSQL server (from the admin URL)."""
    ssl_mode: str | None = None
    chronicle_agent_image: str | None = None
    """Set only when Chronicle is enabled and has an agent image (COMPAT.md)."""


def workbench_spec_from_site(site: SiteSpec, inputs: SiteInputs) -> WorkbenchSpec:
    workbench = site.workbench
    if workbench is None:
        raise ValueError("spec.workbench is absent: Workbench is not enabled")
    experimental = workbench.experimental_features or SiteWorkbenchExperimentalFeatures()
    name = inputs.site_name
    spec = WorkbenchSpec(
        aws_account_id=site.aws_account_id,
        cluster_date=site.cluster_date,
        workload_compound_name=site.workload_compound_name,
        off_host_execution=True,
        snowflake=workbench.snowflake,
        config=_config(site, workbench, experimental),
        secret_config=_secret_config(workbench),
        session_config=_session_config(site, workbench, experimental, name),
        license=workbench.license,
        volume=_home_volume(site, name),
        secret_type=site.secret.type if site.secret else None,
        url=f"{workbench.domain_prefix}.{site.domain}",
        parent_url=site.domain,
        database_config=DatabaseConfig(
            host=inputs.database_host,
            drop_on_teardown=site.drop_database_on_tear_down,
            ssl_mode=inputs.ssl_mode,
        ),
        main_database_credential_secret=site.main_database_credential_secret,
        ingress_class=site.ingress_class,
        ingress_annotations=site.ingress_annotations,
        image=workbench.image,
        image_pull_policy=workbench.image_pull_policy,
        chronicle_image=inputs.chronicle_agent_image,
        additional_volumes=_additional_volumes(site, workbench, name),
        image_pull_secrets=site.image_pull_secrets,
        node_selector=workbench.node_selector,
        tolerations=workbench.tolerations,
        add_env=workbench.add_env,
        auth=workbench.auth,
        secret=site.secret,
        workload_secret=site.workload_secret,
        # As the reference: 0 (which its API cannot tell from unset) means the default, one.
        replicas=workbench.replicas or 1,
        non_root=True if experimental.non_root else None,
        dsn_secret=experimental.dsn_secret,
        chronicle_sidecar_product_api_key_enabled=True
        if experimental.chronicle_sidecar_product_api_key_enabled
        else None,
        auth_login_page_html=workbench.auth_login_page_html or None,
    )
    return spec


def _config(
    site: SiteSpec, workbench: SiteWorkbench, experimental: SiteWorkbenchExperimentalFeatures
) -> WorkbenchConfig:
    profiles = experimental.resource_profiles or default_resource_profiles()
    # As the reference, sessions run the server's image unless one is named (teamop's default when neither is).
    default_image = workbench.default_session_image or images.server_image("workbench", workbench.image)
    vscode = workbench.vs_code_config
    vscode_args = VSCODE_ARGS
    if experimental.vs_code_extensions_dir:
        vscode_args += f" --extensions-dir={experimental.vs_code_extensions_dir}"
    positron = workbench.positron_config
    api = workbench.api_settings
    databricks_enabled = bool(workbench.databricks) or bool(experimental.databricks_force_enabled)
    rserver = RServerConf(
        load_balancing_enabled=1,
        server_shared_storage_path=names.SHARED_STORAGE_PATH,
        server_health_check_enabled=1,
        auth_pam_sessions_enabled=1,
        admin_enabled=1,
        admin_group=",".join(workbench.admin_groups or []) or DEFAULT_ADMIN_GROUP,
        admin_superuser_group=",".join(workbench.admin_superuser_groups or []) or None,
        www_port=names.HTTP_PORT,
        launcher_address="127.0.0.1",
        launcher_port=names.LAUNCHER_PORT,
        launcher_sessions_enabled=1,
        www_frame_origin=f"https://{site.domain}",
        user_provisioning_enabled=1,
        user_provisioning_register_on_first_login=1 if workbench.create_users_automatically else None,
        user_homedir_path=names.HOME_PATH,
        www_thread_pool_size=experimental.www_thread_pool_size or DEFAULT_WWW_THREAD_POOL_SIZE,
        launcher_sessions_proxy_timeout_seconds=(
            experimental.launcher_sessions_proxy_timeout_secs
            if experimental.launcher_sessions_proxy_timeout_secs is not None
            else DEFAULT_PROXY_TIMEOUT_SECONDS
        ),
        workbench_api_enabled=(api.workbench_api_enabled or None) if api else None,
        workbench_api_admin_enabled=(api.workbench_api_admin_enabled or None) if api else None,
        workbench_api_super_admin_enabled=(api.workbench_api_super_admin_enabled or None) if api else None,
        launcher_sessions_auto_update=1,
        launcher_sessions_init_container_image_name=workbench.session_init_container_image_name,
        launcher_sessions_init_container_image_tag=workbench.session_init_container_image_tag,
        databricks_enabled=1 if databricks_enabled else None,
        force_admin_ui_enabled=1 if experimental.force_admin_ui_enabled else None,
    )
    ini = WorkbenchIniConfig(
        launcher_conf=LauncherConf(
            server=LauncherServerSection(
                address="127.0.0.1",
                port=str(names.LAUNCHER_PORT),
                server_user=LAUNCHER_SERVER_USER,
                admin_group=LAUNCHER_SERVER_USER,
                authorization_enabled=1,
                thread_pool_size=4,
            ),
            cluster=LauncherClusterSection(name="Kubernetes", type="Kubernetes"),
        ),
        vscode_conf=VSCodeConf(
            enabled=vscode.enabled if vscode and vscode.enabled is not None else 1,
            exe=(vscode.exe if vscode else None) or experimental.vs_code_path,
            args=(vscode.args if vscode else None) or vscode_args,
            session_timeout_kill_hours=(vscode.session_timeout_kill_hours or None) if vscode else None,
        ),
        logging_conf=LoggingConf(
            all=LoggingSection(
                log_level="debug" if site.debug else "info",
                logger_type="stderr",
                log_message_format="json" if (site.log_format or "").lower() == "json" else "pretty",
            )
        ),
        jupyter_conf=workbench.jupyter_config or JupyterConfig(notebooks_enabled=1, labs_enabled=1),
        rserver_conf=rserver,
        launcher_kubernetes_conf=LauncherKubernetesConf(),
        resources_conf=profiles,
    )
    rsession = RSessionConf(
        default_rsconnect_server=(
            f"https://{site.connect.domain_prefix}.{site.domain}" if site.connect is not None else None
        ),
        copilot_enabled=1,
        managed_credentials_in_jobs_enabled=1 if experimental.enable_managed_credential_jobs else None,
        session_first_project_template_path=experimental.first_project_template_path,
    )
    if workbench.experimental_features is not None:
        # Workbench asks by default; saving .RData is costly in disk and time, so "no" unless said otherwise.
        rsession.session_save_action_default = experimental.session_save_action_default or "no"
    session_ini = WorkbenchSessionIniConfig(
        rsession_conf=rsession,
        repos_conf=ReposConf(cran=_cran_repository(site)),
        positron_conf=PositronConf(**_set_values(positron, exclude={"extensions", "user_settings"})),
    )
    dcf = None
    if experimental.launcher_env_path:
        dcf = WorkbenchDcfConfig(
            launcher_env=LauncherEnvConfig(job_type="session", environment={"PATH": experimental.launcher_env_path})
        )
    return WorkbenchConfig(
        workbench_ini_config=ini,
        workbench_session_ini_config=session_ini,
        workbench_session_newline_config=WorkbenchSessionNewlineConfig(
            vscode_extensions_conf=workbench.vs_code_extensions,
            positron_extensions_conf=positron.extensions if positron else None,
        ),
        workbench_session_json_config=WorkbenchSessionJsonConfig(
            vscode_user_settings_json=workbench.vs_code_user_settings,
            positron_user_settings_json=positron.user_settings if positron else None,
        ),
        workbench_profiles_config=WorkbenchProfilesConfig(
            profiles_conf={
                "*": KubernetesProfile(
                    container_images=[
                        image for image in [default_image, *(workbench.extra_session_images or [])] if image
                    ],
                    default_container_image=default_image,
                    allow_unknown_images=1,
                    cpu_request_ratio=experimental.cpu_request_ratio or DEFAULT_CPU_REQUEST_RATIO,
                    memory_request_ratio=experimental.memory_request_ratio or DEFAULT_MEMORY_REQUEST_RATIO,
                    resource_profiles=resource_profile_order(
                        {key: profile.model_dump(by_alias=True, exclude_none=True) for key, profile in profiles.items()}
                    ),
                )
            }
        ),
        workbench_dcf_config=dcf,
    )


def _set_values(model: ApiModel | None, exclude: set[str]) -> dict[str, Any]:
    """The fields of `model` that hold a value: the reference cannot tell 0 or "" from unset and leaves them out."""
    if model is None:
        return {}
    return {key: value for key, value in model.model_dump(exclude=exclude).items() if value not in (None, 0, "", [])}


def _cran_repository(site: SiteSpec) -> str | None:
    if site.package_manager_url:
        return site.package_manager_url
    if site.package_manager is None:
        return None
    return f"https://{site.package_manager.domain_prefix}.{site.domain}/cran/__linux__/jammy/latest"


def _secret_config(workbench: SiteWorkbench) -> WorkbenchSecretConfig:
    databricks = {
        key: DatabricksIniSection(name=workspace.name, url=workspace.url, client_id=workspace.client_id)
        for key, workspace in (workbench.databricks or {}).items()
    }
    return WorkbenchSecretConfig(
        workbench_secret_ini_config=WorkbenchSecretIniConfig(databricks_conf=databricks or None)
    )


def _session_config(
    site: SiteSpec, workbench: SiteWorkbench, experimental: SiteWorkbenchExperimentalFeatures, name: str
) -> SessionConfig:
    pod: dict[str, Any] = {
        "node_selector": workbench.node_selector,
        "tolerations": workbench.session_tolerations,
        "image_pull_policy": experimental.session_image_pull_policy or workbench.image_pull_policy,
        "image_pull_secrets": [LocalObjectReference(name=secret) for secret in site.image_pull_secrets or []] or None,
        "service_account_name": experimental.session_service_account_name or names.session_service_account(name),
        "env": [env.to_dict() for env in experimental.session_env_vars] if experimental.session_env_vars else None,
    }
    if experimental.privileged_sessions:
        pod["container_security_context"] = {"privileged": True}
    return SessionConfig(pod=PodConfig(**{key: value for key, value in pod.items() if value is not None}))


def _home_volume(site: SiteSpec, name: str) -> VolumeSpec | None:
    volume = product_volume(name, site, "workbench")
    return VolumeSpec.model_validate(volume) if volume is not None else None


def _additional_volumes(site: SiteSpec, workbench: SiteWorkbench, name: str) -> list[VolumeSpec] | None:
    """The Site's shared directory first, then Workbench's own, as the reference."""
    shared = shared_directory_volume(name, site)
    volumes = [VolumeSpec.model_validate(shared)] if shared is not None else []
    volumes += workbench.additional_volumes or []
    return volumes or None
