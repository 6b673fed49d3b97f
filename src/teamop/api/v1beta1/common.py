"""Types shared by several kinds: secrets, licences, authentication, volumes, sessions, databases."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from teamop.api.v1beta1.base import ApiModel, NonNegativeInt, StringMap
from teamop.api.v1beta1.k8s import (
    Affinity,
    Container,
    EnvVar,
    LocalObjectReference,
    PodSecurityContext,
    PullPolicy,
    SecurityContext,
    Toleration,
    Volume,
    VolumeMount,
)

DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
RATIO_PATTERN = r"^(0(\.[0-9]+)?|1(\.0+)?)$"
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)

Replicas = NonNegativeInt
"""A number of pods; never negative."""


class SecretConfig(ApiModel):
    """Where a Site keeps a set of secrets: `type: kubernetes` names a Secret in the Site's namespace with
    `vaultName`; `type: aws` names an AWS Secrets Manager secret."""

    type: str | None = None
    """The secret backend: kubernetes, aws (or test)."""
    vault_name: str | None = None
    """The name of the Secret (kubernetes) or of the vault secret (aws)."""


class LicenseSpec(ApiModel):
    """How a product gets its licence."""

    type: Literal["", "FILE", "KEY"] | None = None
    """FILE mounts a licence file from a Secret; KEY passes an activation key. Empty means FILE."""
    key: str | None = None
    """The activation key (type KEY)."""
    existing_secret_name: str | None = None
    """The Secret holding the licence file (type FILE)."""
    existing_secret_key: str | None = None
    """The key of that Secret holding the licence file (type FILE)."""


class AuthSpec(ApiModel):
    """How users sign in to a product."""

    type: Literal["", "password", "oidc", "saml", "none"] | None = None
    """password, oidc or saml; empty or none mean password."""
    client_id: str | None = None
    """OIDC client id."""
    issuer: str | None = None
    """OIDC issuer URL."""
    groups: bool | None = None
    """Whether groups are taken from the identity provider."""
    username_claim: str | None = None
    """The OIDC claim holding the user name."""
    email_claim: str | None = None
    """The OIDC claim holding the email address."""
    unique_id_claim: str | None = None
    """The OIDC claim that identifies a user uniquely."""
    groups_claim: str | None = None
    """The OIDC claim holding the groups."""
    disable_groups_claim: bool | None = None
    """Do not read groups from the OIDC token."""
    saml_metadata_url: str | None = None
    """The URL of the SAML identity provider's metadata."""
    saml_id_p_attribute_profile: str | None = Field(default=None, alias="samlIdPAttributeProfile")
    """SAML-specific attribute mappings (mutually exclusive with SamlIdPAttributeProfile)"""
    saml_username_attribute: str | None = None
    """The SAML attribute holding the user name."""
    saml_first_name_attribute: str | None = None
    """The SAML attribute holding the first name."""
    saml_last_name_attribute: str | None = None
    """The SAML attribute holding the last name."""
    saml_email_attribute: str | None = None
    """The SAML attribute holding the email address."""
    scopes: list[str] | None = None
    """OIDC scopes to request."""
    viewer_role_mapping: list[str] | None = None
    """Groups whose members get the viewer role."""
    publisher_role_mapping: list[str] | None = None
    """Groups whose members get the publisher role."""
    administrator_role_mapping: list[str] | None = None
    """Groups whose members get the administrator role."""


class VolumeSpec(ApiModel):
    """VolumeSpec is a specification for a PersistentVolumeClaim to be created (and/or mounted)"""

    create: bool | None = None
    """Create determines whether the PVC should be created or not"""
    access_modes: list[str] | None = None
    """AccessModes is the access mode for the created PVC. Only used if Create is true"""
    volume_name: str | None = None
    """VolumeName is the name of the PV that will be referenced by the created PVC. Only used if Create is true"""
    storage_class_name: str | None = None
    """StorageClassName identifies the StorageClassName created by the PV. Only used if Create is true"""
    size: str | None = Field(default=None, pattern=QUANTITY_PATTERN)
    """Size is the size of the PVC that is being created (a quantity such as 3Gi). Only used if Create is true"""
    pvc_name: str | None = None
    """PvcName is used only if Create is false: the name of a PVC that already exists."""
    mount_path: str | None = None
    """MountPath is only used for volumes that are configurable (i.e. additionalVolumes)"""
    read_only: bool | None = None
    """ReadOnly defaults to false and determines whether the volume is mounted ReadOnly"""


class VolumeSource(ApiModel):
    """Where a Site's shared volumes come from (one shared resource, e.g. an FSx or NFS server, for all of them)."""

    type: Literal["", "fsx-zfs", "nfs", "azure-netapp"] | None = None
    """fsx-zfs, nfs or azure-netapp."""
    volume_id: str | None = None
    """The FSx volume id (fsx-zfs) or the exported path (nfs)."""
    dns_name: str | None = None
    """The DNS name of the file server."""


class DatabaseConfig(ApiModel):
    """The PostgreSQL server a product's database lives on."""

    host: str | None = None
    """host:port of the PostgreSQL server."""
    ssl_mode: str | None = None
    """libpq sslmode for the product's connections."""
    drop_on_teardown: bool | None = None
    """Drop the product's database when the product is deleted."""
    schema_: str | None = Field(default=None, alias="schema")
    """The schema the product uses."""
    instrumentation_schema: str | None = None
    """The schema for instrumentation data (Connect)."""


class DatabaseSettings(ApiModel):
    """Schema names for a product's database."""

    schema_: str | None = Field(default=None, alias="schema")
    """The schema the product uses."""
    instrumentation_schema: str | None = None
    """The schema for instrumentation data."""


class GPUSettings(ApiModel):
    """GPUSettings allows configuring GPU resource requests and limits"""

    nvidia_gpu_limit: NonNegativeInt | None = Field(default=None, alias="nvidiaGPULimit")
    """Default NVIDIA GPUs per session."""
    max_nvidia_gpu_limit: NonNegativeInt | None = Field(default=None, alias="maxNvidiaGPULimit")
    """Most NVIDIA GPUs a session may ask for."""
    amd_gpu_limit: NonNegativeInt | None = Field(default=None, alias="amdGPULimit")
    """Default AMD GPUs per session."""
    max_amd_gpu_limit: NonNegativeInt | None = Field(default=None, alias="maxAMDGPULimit")
    """Most AMD GPUs a session may ask for."""


class DatabricksConfig(ApiModel):
    """A Databricks workspace sessions can use."""

    name: str | None = None
    """The name shown to users."""
    url: str | None = None
    """The workspace URL."""
    client_id: str | None = None
    """The OAuth client id."""
    tenant_id: str | None = None
    """The Azure tenant id (Azure Databricks)."""


class SnowflakeConfig(ApiModel):
    """A Snowflake account sessions can use."""

    account_id: str | None = None
    """The Snowflake account."""
    client_id: str | None = None
    """The OAuth client id."""


class AzureFilesConfig(ApiModel):
    """AzureFiles configures Azure Files integration for persistent storage"""

    storage_class_name: str | None = None
    """StorageClassName is the name of the Kubernetes StorageClass that uses the Azure Files CSI driver"""
    share_size_gib: NonNegativeInt | None = Field(default=None, alias="shareSizeGiB")
    """ShareSizeGiB is the size of the Azure File Share to create"""


class ExternalSecretRef(ApiModel):
    """A secret in one of the supported secret stores."""

    source: Literal["aws-secrets-manager", "kubernetes", "azure-key-vault"]
    """Source specifies the secret management system"""
    name: str = Field(min_length=1)
    """Name is the secret name: in AWS Secrets Manager, a Secret in the same namespace, or a key vault secret."""
    key: str | None = None
    """Key is the key within the Secret data (Kubernetes); AWS and Azure usually use the entire secret."""


class SSHKeyConfig(ApiModel):
    """SSHKeyConfig defines SSH key configuration for Git authentication"""

    name: str = Field(min_length=1, max_length=63, pattern=DNS_LABEL_PATTERN)
    """Name is a unique identifier for this SSH key configuration (a DNS label: lower case, digits, '-')."""
    host: str
    """Host is the Git host domain this key applies to, e.g. "github.com"."""
    secret_ref: ExternalSecretRef
    """SecretRef references the secret containing the SSH private key"""
    passphrase_secret_ref: ExternalSecretRef | None = None
    """PassphraseSecretRef optionally references a secret containing the passphrase for an encrypted SSH key"""


class ServiceConfig(ApiModel):
    """ServiceConfig is the configuration for session service definition"""

    type: str | None = None
    """The Service type of sessions."""
    annotations: StringMap | None = None
    """Annotations of session Services."""
    labels: StringMap | None = None
    """Labels of session Services."""


class PodConfig(ApiModel):
    """PodConfig is the configuration for session pods"""

    annotations: StringMap | None = None
    """Annotations of session pods."""
    labels: StringMap | None = None
    """Labels of session pods."""
    service_account_name: str | None = None
    """The ServiceAccount session pods run as."""
    volumes: list[Volume] | None = None
    """Extra volumes of session pods."""
    volume_mounts: list[VolumeMount] | None = None
    """Extra volume mounts of the session container."""
    env: list[EnvVar] | None = None
    """Extra environment variables of the session container."""
    image_pull_policy: PullPolicy | None = None
    """When the kubelet pulls session images."""
    image_pull_secrets: list[LocalObjectReference] | None = None
    """Secrets for pulling session images."""
    init_containers: list[Container] | None = None
    """Init containers of session pods."""
    extra_containers: list[Container] | None = None
    """Sidecar containers of session pods."""
    container_security_context: SecurityContext | None = None
    """The security context of the session container."""
    default_security_context: SecurityContext | None = None
    """The security context of the other containers of session pods."""
    security_context: PodSecurityContext | None = None
    """The pod-level security context of session pods."""
    tolerations: list[Toleration] | None = None
    """Tolerations of session pods."""
    affinity: Affinity | None = None
    """Affinity of session pods."""
    node_selector: StringMap | None = None
    """Node selector of session pods."""
    priority_class_name: str | None = None
    """The PriorityClass of session pods."""
    command: list[str] | None = None
    """The command of the session container."""


class JobConfig(ApiModel):
    """JobConfig is the configuration for session jobs"""

    annotations: StringMap | None = None
    """Annotations of session Jobs."""
    labels: StringMap | None = None
    """Labels of session Jobs."""


class SessionConfig(ApiModel):
    """SessionConfig houses all session configuration"""

    service: ServiceConfig | None = None
    pod: PodConfig | None = None
    job: JobConfig | None = None


class FeatureEnabler(ApiModel):
    """FeatureEnabler controls which features are enabled in Flightdeck"""

    show_config: bool = False
    """ShowConfig enables the configuration page"""
    show_academy: bool = False
    """ShowAcademy enables the academy page"""
