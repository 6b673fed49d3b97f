"""Workbench's configuration files as the Workbench CR carries them: one field per file, keys as Workbench
spells them (kebab-case)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from teamop.api.v1beta1.base import AnyValue, ApiModel, ConfigSection, KebabSection, StringMap


class SupervisordProgram(ApiModel):
    """A [program:x] section of supervisord.conf."""

    model_config = ConfigDict(alias_generator=None)

    command: str | None = None
    user: str | None = None
    environment: str | None = None
    numprocs: int | None = None
    autorestart: bool | None = None
    stdout_logfile: str | None = None
    stdout_logfile_maxbytes: int | None = None
    stderr_logfile: str | None = None
    stderr_logfile_maxbytes: int | None = None


class SupervisordIniConfig(ApiModel):
    """SupervisordIniConfig allows customization of the startup of the product (extra supervised programs)."""

    programs_conf: dict[str, dict[str, SupervisordProgram]] | None = Field(default=None, alias="programs.conf")
    """File name → program name → program."""


class LauncherEnvConfig(ConfigSection):
    """launcher-env: environment given to launched jobs."""

    job_type: str | None = None
    environment: StringMap | None = None


class WorkbenchDcfConfig(ApiModel):
    """Workbench's DCF-format files."""

    launcher_env: LauncherEnvConfig | None = Field(default=None, alias="launcher-env")


class DatabricksIniSection(KebabSection):
    """A workspace section of databricks.conf."""

    name: str | None = None
    url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


class JupyterConfig(KebabSection):
    """JupyterConfig contains Jupyter configuration for Workbench (jupyter.conf)"""

    labs_enabled: int = Field(default=1, ge=0, le=1)
    """LabsEnabled enables JupyterLab sessions"""
    notebooks_enabled: int = Field(default=0, ge=0, le=1)
    """NotebooksEnabled enables Jupyter Notebook Classic sessions"""
    jupyter_exe: str = ""
    """JupyterExe specifies the path to the Jupyter executable"""
    lab_version: str = "auto"
    """LabVersion specifies the JupyterLab version to use"""
    notebook_version: str = "auto"
    """NotebookVersion specifies the Jupyter Notebook version to use"""
    session_cull_minutes: int = Field(default=120, ge=0)
    """SessionCullMinutes specifies idle time in minutes before kernels/terminals are culled"""
    session_shutdown_minutes: int = Field(default=5, ge=0)
    """SessionShutdownMinutes specifies idle time in minutes before session shutdown"""
    default_session_cluster: str | None = None
    """DefaultSessionCluster specifies the default Job Launcher cluster for Jupyter sessions"""
    default_session_container_image: str | None = None
    """DefaultSessionContainerImage specifies the default container image for Jupyter sessions"""


class LauncherClusterSection(KebabSection):
    name: str | None = None
    type: str | None = None


class LauncherServerSection(KebabSection):
    address: str | None = None
    port: str | None = None
    server_user: str | None = None
    admin_group: str | None = None
    authorization_enabled: int | None = None
    thread_pool_size: int | None = None
    secure_cookie_key_file: str | None = None
    unprivileged: int | None = None


class LauncherConf(ApiModel):
    """launcher.conf"""

    server: LauncherServerSection | None = None
    cluster: LauncherClusterSection | None = None


class LauncherKubernetesConf(KebabSection):
    """launcher.kubernetes.conf"""

    kubernetes_namespace: str | None = None
    use_templating: int | None = None
    job_expiry_hours: int | None = None


class ResourceProfile(KebabSection):
    """A resource profile of launcher.kubernetes.resources.conf."""

    name: str | None = None
    """The name users see."""
    cpus: str | None = None
    """CPU limit."""
    cpus_request: str | None = None
    """CPU request."""
    mem_mb: str | None = None
    """Memory limit in MB."""
    mem_mb_request: str | None = None
    """Memory request in MB."""
    nvidia_gpus: str | None = None
    """NVIDIA GPUs."""
    amd_gpus: str | None = None
    """AMD GPUs."""
    placement_constraints: str | None = None
    """Placement constraints (node labels) of sessions using this profile."""


class LauncherLocalConf(KebabSection):
    """launcher.local.conf"""

    unprivileged: int | None = None


class LoggingSection(KebabSection):
    """A section of logging.conf."""

    log_level: str | None = None
    logger_type: str | None = None
    log_message_format: str | None = None


class LoggingConf(ApiModel):
    """logging.conf"""

    all: LoggingSection | None = Field(default=None, alias="*")
    """The [*] section: every Workbench service."""


class RServerConf(KebabSection):
    """rserver.conf"""

    admin_enabled: int | None = None
    admin_group: str | None = None
    admin_superuser_group: str | None = None
    auth_openid: int | None = None
    auth_openid_issuer: str | None = None
    auth_openid_scopes: list[str] | None = None
    auth_openid_username_claim: str | None = None
    auth_pam_sessions_enabled: int | None = None
    auth_saml: int | None = None
    auth_saml_metadata_url: str | None = None
    auth_saml_sp_attribute_username: str | None = None
    databricks_enabled: int | None = None
    force_admin_ui_enabled: int | None = None
    launcher_address: str | None = None
    launcher_port: int | None = None
    launcher_sessions_auto_update: int | None = None
    launcher_sessions_callback_address: str | None = None
    launcher_sessions_enabled: int | None = None
    launcher_sessions_init_container_image_name: str | None = None
    launcher_sessions_init_container_image_tag: str | None = None
    launcher_sessions_proxy_timeout_seconds: int | None = None
    load_balancing_enabled: int = 1
    metrics_enabled: int | None = None
    metrics_port: int | None = None
    secure_cookie_key_file: str | None = None
    server_health_check_enabled: int | None = None
    server_project_sharing: int | None = None
    server_shared_storage_path: str | None = None
    user_homedir_path: str | None = None
    user_provisioning_enabled: int | None = None
    user_provisioning_register_on_first_login: int | None = None
    workbench_api_admin_enabled: int | None = None
    workbench_api_enabled: int | None = None
    workbench_api_super_admin_enabled: int | None = None
    www_frame_origin: str | None = None
    www_port: int | None = None
    www_thread_pool_size: int | None = None


class VSCodeConf(KebabSection):
    """vscode.conf"""

    enabled: int | None = None
    exe: str | None = None
    args: str | None = None
    session_timeout_kill_hours: int | None = None


class WorkbenchIniConfig(ApiModel):
    """Workbench's server-side INI files."""

    launcher_conf: LauncherConf | None = Field(default=None, alias="launcher.conf")
    vscode_conf: VSCodeConf | None = Field(default=None, alias="vscode.conf")
    logging_conf: LoggingConf | None = Field(default=None, alias="logging.conf")
    jupyter_conf: JupyterConfig | None = Field(default=None, alias="jupyter.conf")
    rserver_conf: RServerConf | None = Field(default=None, alias="rserver.conf")
    launcher_kubernetes_conf: LauncherKubernetesConf | None = Field(default=None, alias="launcher.kubernetes.conf")
    launcher_local_conf: LauncherLocalConf | None = Field(default=None, alias="launcher.local.conf")
    databricks_conf: dict[str, DatabricksIniSection] | None = Field(default=None, alias="databricks.conf")
    resources_conf: dict[str, ResourceProfile] | None = Field(default=None, alias="launcher.kubernetes.resources.conf")


class KubernetesProfile(KebabSection):
    """A section (user, group or *) of launcher.kubernetes.profiles.conf."""

    container_images: list[str] | None = None
    default_container_image: str | None = None
    allow_unknown_images: int | None = None
    allow_custom_resources: int | None = None
    default_cpus: str | None = None
    default_cpus_request: str | None = None
    default_mem_mb: str | None = None
    default_mem_mb_request: str | None = None
    default_nvidia_gpus: str | None = None
    max_cpus: str | None = None
    max_cpus_request: str | None = None
    max_mem_mb: str | None = None
    max_mem_mb_request: str | None = None
    max_nvidia_gpus: str | None = None
    cpu_request_ratio: str | None = None
    memory_request_ratio: str | None = None
    placement_constraints: list[str] | None = None
    resource_profiles: list[str] | None = None


class WorkbenchProfilesConfig(ApiModel):
    """launcher.kubernetes.profiles.conf, section name → profile."""

    profiles_conf: dict[str, KubernetesProfile] | None = Field(default=None, alias="launcher.kubernetes.profiles.conf")


class PositronConf(KebabSection):
    """positron.conf"""

    enabled: int | None = None
    exe: str | None = None
    args: str | None = None
    default_session_container_image: str | None = None
    session_container_images: list[str] | None = None
    positron_session_path: str | None = None
    session_no_profile: int | None = None
    user_data_dir: str | None = None
    allow_file_downloads: int | None = None
    allow_file_uploads: int | None = None
    session_timeout_kill_hours: int | None = None


class ReposConf(ApiModel):
    """repos.conf: R package repositories for sessions."""

    model_config = ConfigDict(alias_generator=None)

    rspm: str | None = Field(default=None, alias="RSPM")
    cran: str | None = Field(default=None, alias="CRAN")


class RSessionConf(KebabSection):
    """rsession.conf"""

    copilot_enabled: int | None = None
    default_rsconnect_server: str | None = None
    managed_credentials_in_jobs_enabled: int | None = None
    session_first_project_template_path: str | None = None
    """The first project template; configured in the "project template" but a session setting."""
    session_save_action_default: str | None = None


class WorkbenchNssConf(KebabSection):
    """workbench_nss.conf"""

    server_address: str | None = None


class WorkbenchSessionIniConfig(ApiModel):
    """Workbench's session-side INI files."""

    rsession_conf: RSessionConf | None = Field(default=None, alias="rsession.conf")
    repos_conf: ReposConf | None = Field(default=None, alias="repos.conf")
    workbench_nss_conf: WorkbenchNssConf | None = Field(default=None, alias="workbench_nss.conf")
    positron_conf: PositronConf | None = Field(default=None, alias="positron.conf")


class WorkbenchSessionNewlineConfig(ApiModel):
    """Session files with one entry per line."""

    vscode_extensions_conf: list[str] | None = Field(default=None, alias="vscode.extensions.conf")
    positron_extensions_conf: list[str] | None = Field(default=None, alias="positron.extensions.conf")


class WorkbenchSessionJsonConfig(ApiModel):
    """Session files in JSON."""

    vscode_user_settings_json: dict[str, AnyValue] | None = Field(default=None, alias="vscode-user-settings.json")
    positron_user_settings_json: dict[str, AnyValue] | None = Field(default=None, alias="positron-user-settings.json")


class WorkbenchConfig(ApiModel):
    """WorkbenchConfig is a "top-level" configuration object: every configuration file of Workbench."""

    workbench_ini_config: WorkbenchIniConfig | None = Field(default=None, alias="workbench-ini-config")
    workbench_session_ini_config: WorkbenchSessionIniConfig | None = Field(
        default=None, alias="workbench-session-ini-config"
    )
    workbench_session_newline_config: WorkbenchSessionNewlineConfig | None = Field(
        default=None, alias="workbench-session-newline-config"
    )
    workbench_session_json_config: WorkbenchSessionJsonConfig | None = Field(
        default=None, alias="workbench-session-json-config"
    )
    supervisord_ini_config: SupervisordIniConfig | None = Field(default=None, alias="supervisord-ini-config")
    workbench_profiles_config: WorkbenchProfilesConfig | None = Field(default=None, alias="workbench-profiles-config")
    workbench_dcf_config: WorkbenchDcfConfig | None = Field(default=None, alias="workbench-dcf-config")


class DatabaseConf(KebabSection):
    """database.conf"""

    provider: str | None = None
    host: str | None = None
    port: str | None = None
    database: str | None = None
    username: str | None = None
    password: str | None = None


class OpenIdClientSecret(KebabSection):
    """openid-client-secret"""

    client_id: str | None = None
    client_secret: str | None = None


class WorkbenchSecretIniConfig(ApiModel):
    """Workbench's INI files that hold secrets."""

    database_conf: DatabaseConf | None = Field(default=None, alias="database.conf")
    openid_client_secret: OpenIdClientSecret | None = Field(default=None, alias="openid-client-secret")
    databricks_conf: dict[str, DatabricksIniSection] | None = Field(default=None, alias="databricks.conf")


class WorkbenchSecretConfig(ApiModel):
    """WorkbenchSecretConfig is a "top-level" configuration object: Workbench's files that hold secrets."""

    workbench_secret_ini_config: WorkbenchSecretIniConfig | None = Field(
        default=None, alias="workbench-secret-ini-config"
    )
