"""Connect's rstudio-connect.gcfg as the Connect CR carries it: section → key, spelled as Connect spells them."""

from __future__ import annotations

from pydantic import Field

from teamop.api.v1beta1.base import ConfigSection


class ConnectServerConfig(ConfigSection):
    """[Server]"""

    address: str | None = None
    data_dir: str | None = None
    email_provider: str | None = None
    """EmailProvider sets the email provider for Connect emails (SMTP settings then come from the site secret)."""
    sender_email: str | None = None
    sender_email_display_name: str | None = None
    email_to: str | None = None
    hide_email_addresses: bool | None = None
    default_content_list_view: str | None = None
    frame_options_content: str | None = None
    frame_options_dashboard: str | None = None
    logged_in_warning: str | None = None
    public_warning: str | None = None
    proxy_header_logging: bool | None = None


class ConnectHttpConfig(ConfigSection):
    """[Http]"""

    listen: str | None = None
    force_secure: bool | None = None


class ConnectMetricsConfig(ConfigSection):
    """[Metrics]"""

    prometheus_listen: str | None = None


class ConnectLoggingConfig(ConfigSection):
    """[Logging]"""

    service_log: str | None = None
    service_log_level: str | None = None
    service_log_format: str | None = None
    access_log: str | None = None
    access_log_format: str | None = None
    audit_log: str | None = None
    audit_log_format: str | None = None


class ConnectAuthenticationConfig(ConfigSection):
    """[Authentication]"""

    provider: str | None = None


class ConnectAuthorizationConfig(ConfigSection):
    """[Authorization]"""

    default_user_role: str | None = None
    publishers_can_manage_vanities: bool | None = None
    viewers_can_only_see_themselves: bool | None = None
    user_role_group_mapping: bool | None = None
    viewer_role_mapping: list[str] | None = None
    publisher_role_mapping: list[str] | None = None
    administrator_role_mapping: list[str] | None = None


class ConnectOAuth2Config(ConfigSection):
    """[OAuth2]"""

    client_id: str | None = None
    client_secret_file: str | None = None
    open_id_connect_issuer: str | None = Field(default=None, alias="OpenIDConnectIssuer")
    require_username_claim: bool | None = None
    groups_auto_provision: bool | None = None
    groups_claim: str | None = None
    email_claim: str | None = None
    username_claim: str | None = None
    unique_id_claim: str | None = None
    custom_scope: list[str] | None = None
    logging: bool | None = None


class ConnectSamlConfig(ConfigSection):
    """[SAML]"""

    id_p_meta_data_url: str | None = Field(default=None, alias="IdPMetaDataURL")
    id_p_attribute_profile: str | None = Field(default=None, alias="IdPAttributeProfile")
    username_attribute: str | None = None
    first_name_attribute: str | None = None
    last_name_attribute: str | None = None
    email_attribute: str | None = None


class ConnectDatabaseConfig(ConfigSection):
    """[Database]"""

    provider: str | None = None


class ConnectPostgresConfig(ConfigSection):
    """[Postgres]"""

    url: str | None = Field(default=None, alias="URL")
    instrumentation_url: str | None = Field(default=None, alias="InstrumentationURL")


class EnabledSection(ConfigSection):
    """A section with only an Enabled switch ([Python], [Quarto])."""

    enabled: bool | None = None


class ConnectRConfig(ConfigSection):
    """[R]"""

    enabled: bool | None = None
    posit_package_manager_url_rewriting: str | None = Field(default=None, alias="PositPackageManagerURLRewriting")


class RPackageRepository(ConfigSection):
    """[RPackageRepository "<name>"]"""

    url: str | None = None


class ConnectLauncherConfig(ConfigSection):
    """[Launcher]"""

    enabled: bool | None = None
    kubernetes: bool | None = None
    cluster_definition: list[str] | None = None
    kubernetes_namespace: str | None = None
    kubernetes_profiles_config: str | None = None
    data_dir_pvc_name: str | None = Field(default=None, alias="DataDirPVCName")
    kubernetes_use_templates: bool | None = None
    scratch_path: str | None = None


class ConnectApplicationsConfig(ConfigSection):
    """[Applications]"""

    bundle_retention_limit: int | None = None
    python_environment_reaping: bool | None = None
    o_auth_integrations_enabled: bool | None = Field(default=None, alias="OAuthIntegrationsEnabled")
    schedule_concurrency: int | None = None


class ConnectSchedulerConfig(ConfigSection):
    """[Scheduler]"""

    max_cpu_request: int | None = Field(default=None, alias="MaxCPURequest")
    max_cpu_limit: int | None = Field(default=None, alias="MaxCPULimit")
    max_memory_request: int | None = None
    max_memory_limit: int | None = None
    nvidia_gpu_limit: int | None = Field(default=None, alias="NvidiaGPULimit")
    max_nvidia_gpu_limit: int | None = Field(default=None, alias="MaxNvidiaGPULimit")
    amd_gpu_limit: int | None = Field(default=None, alias="AMDGPULimit")
    max_amd_gpu_limit: int | None = Field(default=None, alias="MaxAMDGPULimit")


class ConnectTableauIntegrationConfig(ConfigSection):
    """[TableauIntegration]"""

    logging: bool | None = None


class ConnectConfig(ConfigSection):
    """Connect's configuration file (rstudio-connect.gcfg), section by section."""

    server: ConnectServerConfig | None = None
    http: ConnectHttpConfig | None = None
    metrics: ConnectMetricsConfig | None = None
    logging: ConnectLoggingConfig | None = None
    authentication: ConnectAuthenticationConfig | None = None
    authorization: ConnectAuthorizationConfig | None = None
    o_auth2: ConnectOAuth2Config | None = Field(default=None, alias="OAuth2")
    saml: ConnectSamlConfig | None = Field(default=None, alias="SAML")
    database: ConnectDatabaseConfig | None = None
    postgres: ConnectPostgresConfig | None = None
    python: EnabledSection | None = None
    quarto: EnabledSection | None = None
    r: ConnectRConfig | None = None
    r_package_repositories: dict[str, RPackageRepository] | None = Field(default=None, alias="RPackageRepositories")
    """Repository name → URL; written as [RPackageRepository "<name>"] sections."""
    launcher: ConnectLauncherConfig | None = None
    applications: ConnectApplicationsConfig | None = None
    scheduler: ConnectSchedulerConfig | None = None
    tableau_integration: ConnectTableauIntegrationConfig | None = None
