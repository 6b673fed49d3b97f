"""What the product kinds (Connect, Workbench, PackageManager) share: where their secrets, database, image,
ingress and volume come from. The Site controller fills these in from the Site."""

from __future__ import annotations

from teamop.api.v1beta1.base import ApiModel, StringMap
from teamop.api.v1beta1.common import DatabaseConfig, LicenseSpec, Replicas, SecretConfig, VolumeSpec
from teamop.api.v1beta1.k8s import PullPolicy


class ProductSpec(ApiModel):
    """Fields every server product (Connect, Workbench, Package Manager) has."""

    aws_account_id: str | None = None
    """AwsAccountId is the account Id for this AWS Account. It is used to create EKS-to-IAM annotations"""
    cluster_date: str | None = None
    """ClusterDate is the date id (YYYYmmdd) for the cluster. It is used to create EKS-to-IAM annotations"""
    workload_compound_name: str | None = None
    """WorkloadCompoundName is the name for the workload"""
    secret_type: str | None = None
    """The secret backend (deprecated; see secret.type)."""
    secret: SecretConfig | None = None
    """The site secret the product reads its keys from."""
    workload_secret: SecretConfig | None = None
    """WorkloadSecret holds the admin URL of the PostgreSQL server."""
    main_database_credential_secret: SecretConfig | None = None
    """MainDatabaseCredentialSecret holds username and password overriding those of the admin URL."""
    license: LicenseSpec | None = None
    volume: VolumeSpec | None = None
    """The product's data volume."""
    database_config: DatabaseConfig | None = None
    image: str | None = None
    """The server image."""
    image_pull_policy: PullPolicy | None = None
    image_pull_secrets: list[str] | None = None
    """ImagePullSecrets name Secrets (which must exist in the namespace) used for all image pulls."""
    ingress_class: str | None = None
    """IngressClass is the ingress class to be used when creating ingress routes"""
    ingress_annotations: StringMap | None = None
    """IngressAnnotations is a set of annotations to be applied to all ingress routes"""
    node_selector: StringMap | None = None
    add_env: StringMap | None = None
    """AddEnv adds arbitrary environment variables to the container env"""
    replicas: Replicas | None = None
    """Server pods."""
    url: str | None = None
    """The host name the product is served at."""
    sleep: bool | None = None
    """Sleep runs the container with a sleeping command instead of the server, to debug a crash-looping one"""
    chronicle_image: str | None = None
    """ChronicleAgentImage is the image of the Chronicle agent sidecar"""
