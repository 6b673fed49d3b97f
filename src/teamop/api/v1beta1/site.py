"""Site: one whole Posit Team deployment. The Site controller turns it into product resources."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from teamop.api.v1beta1.base import AnyValue, ApiModel, StringMap
from teamop.api.v1beta1.common import (
    DNS_LABEL_PATTERN,
    DNS_SUBDOMAIN_PATTERN,
    RATIO_PATTERN,
    AuthSpec,
    AzureFilesConfig,
    DatabaseSettings,
    DatabricksConfig,
    FeatureEnabler,
    GPUSettings,
    LicenseSpec,
    Replicas,
    SecretConfig,
    SnowflakeConfig,
    SSHKeyConfig,
    VolumeSource,
    VolumeSpec,
)
from teamop.api.v1beta1.k8s import EnvVar, PullPolicy, Toleration
from teamop.api.v1beta1.resource import Resource
from teamop.api.v1beta1.status import CommonStatus
from teamop.api.v1beta1.workbench_config import JupyterConfig, ResourceProfile

LogLevel = Literal["debug", "info", "warn", "error"]
LogFormat = Literal["text", "json"]
SSH_KEYS_ARE_A_MAP: JsonDict = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}


def _domain_prefix_field(default: str) -> Any:
    """A host name label in front of the Site's domain."""
    return Field(default=default, max_length=63, pattern=DNS_LABEL_PATTERN)


class SiteConnectExperimentalFeatures(ApiModel):
    """Experimental Connect settings."""

    mail_sender: str | None = None
    """MailSender enables SMTP and sets the sender email address"""
    mail_display_name: str | None = None
    """MailDisplayName Is the display name of the server in the email subject"""
    mail_target: str | None = None
    """MailTarget sets the target email address. Can be useful for avoiding junk mail"""
    dsn_secret: str | None = None
    """DsnSecret is a key of the site secret to embed in sessions as a DSN (/etc/odbc.ini)"""
    session_env_vars: list[EnvVar] | None = None
    """SessionEnvVars are environment variables to set in the session pods"""
    session_image_pull_policy: PullPolicy | None = None
    """SessionImagePullPolicy is the image pull policy for session pods"""
    session_service_account_name: str | None = None
    """SessionServiceAccountName is the name of the service account to use for session pods"""
    chronicle_sidecar_product_api_key_enabled: bool | None = None
    """The API key for this product is in the site secret: inject it into the Chronicle sidecar's environment"""


class SiteConnect(ApiModel):
    """Connect contains Posit Connect configuration. Connect is deployed when this section is present."""

    image: str | None = None
    """The Connect server image."""
    image_pull_policy: PullPolicy | None = None
    """When the kubelet pulls the image: Always, IfNotPresent or Never."""
    session_image: str | None = None
    """The image of content sessions (off-host execution)."""
    license: LicenseSpec | None = None
    """Connect's licence."""
    volume: VolumeSpec | None = None
    """Connect's data volume; without it teamop creates a PVC of a default size."""
    auth: AuthSpec | None = None
    """How users sign in to Connect."""
    replicas: Replicas | None = None
    """Connect server pods (0 or unset: one)."""
    node_selector: StringMap | None = None
    """Nodes the Connect server runs on."""
    add_env: StringMap | None = None
    """Extra environment variables for the Connect server."""
    domain_prefix: str = _domain_prefix_field("connect")
    """Connect is served at <domainPrefix>.<domain> (a DNS label)."""
    databricks: DatabricksConfig | None = None
    """A Databricks workspace content can use."""
    gpu_settings: GPUSettings | None = Field(default=None, alias="gpuSettings")
    """GPUSettings allows configuring GPU resource requests and limits"""
    database_settings: DatabaseSettings | None = None
    """Schema names in the Connect database."""
    logged_in_warning: str | None = None
    """A warning banner shown to signed-in users."""
    public_warning: str | None = None
    """A warning banner shown on public pages."""
    schedule_concurrency: int = Field(default=2, ge=0)
    """How many scheduled reports run at once."""
    experimental_features: SiteConnectExperimentalFeatures | None = None


class SiteWorkbenchExperimentalFeatures(ApiModel):
    """ExperimentalFeatures allows enabling miscellaneous experimental features for workbench"""

    enable_managed_credential_jobs: bool | None = None
    """Give Workbench jobs managed credentials too."""
    non_root: bool | None = None
    """NonRoot enables "maximally rootless" operation (as much as workbench can allow at present)"""
    session_service_account_name: str | None = None
    """SessionServiceAccountName is the name of the service account to use for session pods"""
    session_env_vars: list[EnvVar] | None = None
    """SessionEnvVars are environment variables to set in the session pods"""
    session_image_pull_policy: PullPolicy | None = None
    """SessionImagePullPolicy is the image pull policy for session pods"""
    privileged_sessions: bool | None = None
    """PrivilegedSessions starts sessions in "privileged" mode (e.g. to run docker in docker)"""
    databricks_force_enabled: bool | None = None
    """DatabricksForceEnabled shows the Databricks pane even with no managed credentials in use"""
    dsn_secret: str | None = None
    """DsnSecret is a key of the site secret to embed in sessions as a DSN (/etc/odbc.ini)"""
    www_thread_pool_size: int | None = Field(default=None, ge=1)
    """WwwThreadPoolSize is the number of threads of the Workbench web server. Defaults to 16"""
    first_project_template_path: str | None = None
    """The project template of a user's first project."""
    launcher_sessions_proxy_timeout_secs: int | None = Field(default=None, ge=0)
    """How long Workbench waits for a session to answer, in seconds."""
    vs_code_extensions_dir: str | None = None
    """VsCodeExtensionsDir is a shared path where extensions (if any) will be sourced from"""
    resource_profiles: dict[str, ResourceProfile] | None = None
    """ResourceProfiles for use by Workbench. If not provided, a default will be used"""
    cpu_request_ratio: str = Field(default="0.6", pattern=RATIO_PATTERN)
    """CpuRequestRatio is the ratio of CPU requests to limits for session pods: a decimal between 0 and 1
    written as a string (e.g. "0.6": requests are 60% of limits)."""
    memory_request_ratio: str = Field(default="0.8", pattern=RATIO_PATTERN)
    """MemoryRequestRatio is the ratio of memory requests to limits for session pods: a decimal between 0 and 1
    written as a string (e.g. "0.8": requests are 80% of limits)."""
    session_save_action_default: str | None = None
    """SessionSaveActionDefault determines whether .RData files are saved: always, never or ask"""
    vs_code_path: str | None = None
    """Where VS Code is installed in session images."""
    launcher_env_path: str | None = None
    """LauncherEnvPath allows customization of the PATH environment variable for launcher sessions"""
    chronicle_sidecar_product_api_key_enabled: bool | None = None
    """The API key for this product is in the site secret: inject it into the Chronicle sidecar's environment"""
    force_admin_ui_enabled: bool | None = None
    """ForceAdminUiEnabled forces the configuration manager UI on, though Workbench disables it on Kubernetes"""


class WorkbenchApiSettings(ApiModel):
    """Workbench's API switches (0 or 1)."""

    workbench_api_enabled: int | None = Field(default=None, ge=0, le=1)
    """Enable the Workbench API (1) or not (0)."""
    workbench_api_admin_enabled: int | None = Field(default=None, ge=0, le=1)
    """Enable the admin endpoints of the Workbench API (1) or not (0)."""
    workbench_api_super_admin_enabled: int | None = Field(default=None, ge=0, le=1)
    """Enable the super-admin endpoints of the Workbench API (1) or not (0)."""


class VSCodeSettings(ApiModel):
    """VS Code sessions."""

    enabled: int | None = None
    """Offer VS Code sessions (1) or not (0)."""
    exe: str | None = None
    """The VS Code server executable."""
    args: str | None = None
    """Arguments of the VS Code server."""
    session_timeout_kill_hours: int = 1
    """Hours of inactivity after which a session is stopped."""


class PositronSettings(ApiModel):
    """Positron sessions."""

    enabled: int | None = None
    """Offer Positron sessions (1) or not (0)."""
    exe: str | None = None
    """The Positron server executable."""
    args: str | None = None
    """Arguments of the Positron server."""
    default_session_container_image: str | None = None
    """The image Positron sessions start from by default."""
    session_container_images: list[str] | None = None
    """Images users may pick for Positron sessions."""
    positron_session_path: str | None = None
    """Where Positron is installed in session images."""
    session_no_profile: int | None = None
    """Start sessions without a login profile (1) or with one (0)."""
    user_data_dir: str | None = None
    """Where Positron keeps users' data."""
    allow_file_downloads: int | None = None
    """Allow downloading files (1) or not (0)."""
    allow_file_uploads: int | None = None
    """Allow uploading files (1) or not (0)."""
    session_timeout_kill_hours: int | None = None
    """Hours of inactivity after which a session is stopped."""
    extensions: list[str] | None = None
    """Extensions installed in every Positron session."""
    user_settings: dict[str, AnyValue] | None = None
    """Positron user settings (settings.json)."""


class SiteWorkbench(ApiModel):
    """Workbench contains Posit Workbench configuration. Workbench is deployed when this section is present."""

    image: str | None = None
    """The Workbench server image."""
    image_pull_policy: PullPolicy | None = None
    """When the kubelet pulls the image: Always, IfNotPresent or Never."""
    license: LicenseSpec | None = None
    """Workbench's licence."""
    volume: VolumeSpec | None = None
    """Users' home directories."""
    additional_volumes: list[VolumeSpec] | None = None
    """AdditionalVolumes are further volumes mounted into Workbench and its sessions"""
    auth: AuthSpec | None = None
    """How users sign in to Workbench."""
    replicas: Replicas | None = None
    """Workbench server pods."""
    default_session_image: str | None = None
    """The image sessions start from by default."""
    extra_session_images: list[str] | None = None
    """More images users may pick for sessions."""
    session_init_container_image_name: str | None = None
    """SessionInitContainerImageName specifies the init container image name for Workbench sessions"""
    session_init_container_image_tag: str | None = None
    """SessionInitContainerImageTag specifies the init container image tag for Workbench sessions"""
    node_selector: StringMap | None = None
    """NodeSelector that is applied universally to server and sessions"""
    tolerations: list[Toleration] | None = None
    """Tolerations that are applied universally to server and sessions"""
    session_tolerations: list[Toleration] | None = None
    """SessionTolerations are tolerations applied only to session pods (not the main workbench server)"""
    create_users_automatically: bool | None = None
    """Register users on their first login."""
    admin_groups: list[str] | None = None
    """Groups with access to the administrative dashboard (default workbench-admin)."""
    admin_superuser_groups: list[str] | None = None
    """Groups with superuser access to the administrative dashboard (default none)."""
    add_env: StringMap | None = None
    """Extra environment variables for the Workbench server."""
    experimental_features: SiteWorkbenchExperimentalFeatures | None = None
    vs_code_extensions: list[str] | None = None
    """Extensions installed in every VS Code session."""
    vs_code_user_settings: dict[str, AnyValue] | None = None
    """VS Code user settings (settings.json)."""
    positron_config: PositronSettings | None = None
    """Positron sessions."""
    vs_code_config: VSCodeSettings | None = None
    """VS Code sessions."""
    api_settings: WorkbenchApiSettings | None = None
    """Workbench's API switches."""
    domain_prefix: str = _domain_prefix_field("workbench")
    """Workbench is served at <domainPrefix>.<domain> (a DNS label)."""
    auth_login_page_html: str | None = None
    """Workbench Auth/Login Landing Page Customization HTML"""
    jupyter_config: JupyterConfig | None = None
    """JupyterConfig contains Jupyter configuration for Workbench"""
    databricks: dict[str, DatabricksConfig] | None = None
    """Databricks workspaces by name."""
    snowflake: SnowflakeConfig | None = None
    """A Snowflake account sessions can use."""


class SitePackageManager(ApiModel):
    """PackageManager contains Posit Package Manager configuration. It is deployed when this section is present."""

    image: str | None = None
    """The Package Manager image."""
    image_pull_policy: PullPolicy | None = None
    """When the kubelet pulls the image: Always, IfNotPresent or Never."""
    license: LicenseSpec | None = None
    """Package Manager's licence."""
    volume: VolumeSpec | None = None
    """Package Manager's data volume."""
    replicas: Replicas | None = None
    """Package Manager pods (0 or unset: one)."""
    node_selector: StringMap | None = None
    """Nodes Package Manager runs on."""
    add_env: StringMap | None = None
    """Extra environment variables for Package Manager."""
    domain_prefix: str = _domain_prefix_field("packagemanager")
    """Package Manager is served at <domainPrefix>.<domain> (a DNS label)."""
    s3_bucket: str | None = None
    """The S3 bucket packages are stored in (none: the volume)."""
    git_ssh_keys: list[SSHKeyConfig] | None = Field(
        default=None, alias="gitSSHKeys", json_schema_extra=SSH_KEYS_ARE_A_MAP
    )
    """GitSSHKeys are SSH keys for Git authentication of Package Manager's Git builders; names are unique."""
    azure_files: AzureFilesConfig | None = None
    """AzureFiles configures Azure Files integration for persistent storage"""


class SiteChronicle(ApiModel):
    """Chronicle contains Posit Chronicle configuration. Chronicle is deployed when this section is present and
    `enabled` is not false."""

    enabled: bool | None = None
    """Set to false to keep the section but not deploy Chronicle (a teamop addition)."""
    image: str | None = None
    """The Chronicle server image."""
    image_pull_policy: PullPolicy | None = None
    """When the kubelet pulls the image: Always, IfNotPresent or Never."""
    add_env: StringMap | None = None
    """Extra environment variables for Chronicle."""
    node_selector: StringMap | None = None
    """Nodes Chronicle runs on."""
    s3_bucket: str | None = None
    """The S3 bucket Chronicle stores its data in."""
    agent_image: str | None = None
    """The Chronicle agent image; agent sidecars are added to Connect and Workbench only when it is set."""


class SiteFlightdeck(ApiModel):
    """Flightdeck contains Flightdeck (the landing page) configuration."""

    enabled: bool | None = None
    """Enabled controls whether Flightdeck is deployed. Defaults to true; set false to not deploy it."""
    image: str | None = None
    """The Flightdeck image: a tag (e.g. "v1.2.3") of docker.io/posit/ptd-flightdeck or a full image path.
    Unset: teamop's own image serves the landing page."""
    image_pull_policy: PullPolicy | None = None
    """ImagePullPolicy controls when the kubelet pulls the image"""
    replicas: Replicas | None = None
    """Replicas is the number of Flightdeck pods to run (0 or unset: one)"""
    feature_enabler: FeatureEnabler | None = None
    """FeatureEnabler controls which features are enabled in Flightdeck"""
    log_level: LogLevel = "info"
    """LogLevel sets the logging verbosity (debug, info, warn, error)"""
    log_format: LogFormat = "text"
    """LogFormat sets the log output format (text, json)"""


class SiteKeycloak(ApiModel):
    """Keycloak contains the Keycloak configuration details"""

    enabled: bool | None = None
    """Deploy Keycloak (needs the Keycloak operator's CRDs)."""
    image: str | None = None
    """The Keycloak image."""
    image_pull_policy: PullPolicy | None = None
    """When the kubelet pulls the image: Always, IfNotPresent or Never."""
    node_selector: StringMap | None = None
    """Nodes Keycloak runs on."""


class ExtraServiceAccount(ApiModel):
    """A ServiceAccount named <site>-<nameSuffix>."""

    name_suffix: str | None = Field(default=None, max_length=63, pattern=DNS_LABEL_PATTERN)
    """The ServiceAccount is named <site>-<nameSuffix> (a DNS label)."""
    annotations: StringMap | None = None
    """Annotations of the ServiceAccount (e.g. an IAM role)."""


def _distinct_prefixes_rule(first: str, second: str) -> JsonDict:
    return {
        "rule": (
            f"!has(self.{first}) || !has(self.{second}) || !has(self.{first}.domainPrefix)"
            f" || !has(self.{second}.domainPrefix) || self.{first}.domainPrefix != self.{second}.domainPrefix"
        ),
        "message": f"{second}.domainPrefix must differ from {first}.domainPrefix: both would be served at one host",
        "fieldPath": f".{second}.domainPrefix",
        "reason": "FieldValueDuplicate",
    }


class SiteSpec(ApiModel):
    """SiteSpec defines the desired state of Site"""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                _distinct_prefixes_rule("connect", "workbench"),
                _distinct_prefixes_rule("connect", "packageManager"),
                _distinct_prefixes_rule("workbench", "packageManager"),
            ]
        }
    )

    domain: str = Field(max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)
    """Domain is the core domain name of the Site (a DNS name such as posit.example.com); products are served
    at <domainPrefix>.<domain>."""
    aws_account_id: str | None = None
    """AwsAccountId is the account Id for this AWS Account. It is used to create EKS-to-IAM annotations"""
    cluster_date: str | None = None
    """ClusterDate is the date id (YYYYmmdd) for the cluster. It is used to create EKS-to-IAM annotations"""
    workload_compound_name: str | None = None
    """WorkloadCompoundName is the name for the workload"""
    secret_type: str | None = None
    """SecretType is the deprecated secret backend of the Site; use secret.type."""
    secret: SecretConfig | None = None
    """Secret is the site secret: per-product keys (passwords, encryption keys, licences, client secrets)."""
    workload_secret: SecretConfig | None = None
    """WorkloadSecret holds the admin URL of the PostgreSQL server (key main-database-url)."""
    main_database_credential_secret: SecretConfig | None = None
    """MainDatabaseCredentialSecret holds username and password that override those of the admin URL."""
    ingress_class: str | None = None
    """IngressClass is the ingress class to be used when creating ingress routes"""
    ingress_annotations: StringMap | None = None
    """IngressAnnotations is a set of annotations to be applied to all ingress routes"""
    image_pull_secrets: list[str] | None = None
    """ImagePullSecrets name Secrets (which must exist in the namespace) used for all image pulls."""
    volume_source: VolumeSource | None = None
    """VolumeSource is where the Site's shared volumes come from (e.g. one FSx instance or NFS server)."""
    shared_directory: str | None = Field(default=None, pattern=r"^[^/]+$")
    """SharedDirectory is the name of a directory mounted into Workbench and Connect at /mnt/<sharedDirectory>.
    It must not contain slashes."""
    volume_subdir_job_off: bool | None = None
    """VolumeSubdirJobOff turns off the job that provisions volume subdirectories"""
    extra_site_service_accounts: list[ExtraServiceAccount] | None = None
    """ExtraSiteServiceAccounts are created as ServiceAccounts named <siteName>-<nameSuffix>"""
    network_trust: int = Field(default=100, ge=0, le=100)
    """How far pods trust the network: above 50 no NetworkPolicies; 50 or less, per-component policies."""
    efs_enabled: bool | None = Field(default=None, alias="efsEnabled")
    """EFSEnabled lets network policies allow workbench sessions to reach EFS mount targets"""
    vpc_cidr: str | None = Field(default=None, alias="vpcCIDR")
    """VPCCIDR is the CIDR block for the VPC, used for EFS network policies"""
    enable_fqdn_health_checks: bool = True
    """EnableFQDNHealthChecks makes monitoring generate FQDN-based health check targets for the products."""
    package_manager_url: str | None = None
    """PackageManagerUrl is the R package repository Connect and Workbench use, as written (e.g.
    https://pm.example.com/cran/__linux__/jammy/latest); empty means the Site's own Package Manager's CRAN."""
    drop_database_on_tear_down: bool | None = None
    """Drop the products' databases when the Site is deleted."""
    disable_pre_pull_images: bool | None = None
    """Do not run the image pre-pull DaemonSet."""
    debug: bool | None = None
    """Debug settings for every product (Connect's and Chronicle's debug logs, Package Manager's verbose log)."""
    log_format: str | None = None
    """Log format of the products: `json` (or `JSON`) for JSON logs; text otherwise."""
    connect: SiteConnect | None = None
    workbench: SiteWorkbench | None = None
    package_manager: SitePackageManager | None = None
    chronicle: SiteChronicle | None = None
    flightdeck: SiteFlightdeck | None = None
    keycloak: SiteKeycloak | None = None

    @model_validator(mode="after")
    def _products_have_distinct_hosts(self) -> Self:
        prefixes: dict[str, str] = {}
        for name, section in (
            ("connect", self.connect),
            ("workbench", self.workbench),
            ("packageManager", self.package_manager),
        ):
            if section is None:
                continue
            if section.domain_prefix in prefixes:
                raise ValueError(
                    f"{name}.domainPrefix must differ from {prefixes[section.domain_prefix]}.domainPrefix: "
                    "both would be served at the same host"
                )
            prefixes[section.domain_prefix] = name
        return self


class SiteProductStatus(ApiModel):
    """How one product of the Site is doing."""

    url: str | None = None
    """Where users reach the product."""
    ready: bool = False
    ready_replicas: int | None = Field(default=None, ge=0)
    desired_replicas: int | None = Field(default=None, ge=0)
    message: str | None = None
    """Why the product is not ready, if it is not."""


class SiteStatus(CommonStatus):
    """SiteStatus defines the observed state of Site"""

    products: dict[str, SiteProductStatus] | None = None
    """Product name (connect, workbench, packageManager, chronicle, flightdeck) → its state."""


class Site(Resource):
    """Site is the Schema for the sites API: one whole Posit Team deployment."""

    kind: Literal["Site"] = "Site"
    spec: SiteSpec
    status: SiteStatus | None = None
