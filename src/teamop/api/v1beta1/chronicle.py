"""Chronicle: usage data of the other products."""

from __future__ import annotations

from typing import Literal

from teamop.api.v1beta1.base import ApiModel, StringMap
from teamop.api.v1beta1.chronicle_config import ChronicleConfig
from teamop.api.v1beta1.resource import Resource
from teamop.api.v1beta1.status import ProductStatus


class ChronicleSpec(ApiModel):
    """ChronicleSpec defines the desired state of Chronicle"""

    config: ChronicleConfig | None = None
    """Chronicle's configuration file (posit-chronicle.gcfg)."""
    image: str | None = None
    """The Chronicle server image."""
    aws_account_id: str | None = None
    """AwsAccountId is the account Id for this AWS Account. It is used to create EKS-to-IAM annotations"""
    cluster_date: str | None = None
    """ClusterDate is the date id (YYYYmmdd) for the cluster. It is used to create EKS-to-IAM annotations"""
    workload_compound_name: str | None = None
    """WorkloadCompoundName is the name for the workload"""
    node_selector: StringMap | None = None
    add_env: StringMap | None = None
    """AddEnv adds arbitrary environment variables to the container env"""
    image_pull_secrets: list[str] | None = None
    """ImagePullSecrets name Secrets (which must exist in the namespace) used for all image pulls."""


class ChronicleStatus(ProductStatus):
    """ChronicleStatus defines the observed state of Chronicle"""


class Chronicle(Resource):
    """Chronicle is the Schema for the chronicles API"""

    kind: Literal["Chronicle"] = "Chronicle"
    spec: ChronicleSpec
    status: ChronicleStatus | None = None
