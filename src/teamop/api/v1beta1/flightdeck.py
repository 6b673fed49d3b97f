"""Flightdeck: the Site's landing page."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from teamop.api.v1beta1.base import ApiModel, StringMap
from teamop.api.v1beta1.common import DNS_SUBDOMAIN_PATTERN, FeatureEnabler, Replicas
from teamop.api.v1beta1.k8s import PullPolicy
from teamop.api.v1beta1.resource import Resource
from teamop.api.v1beta1.site import LogFormat, LogLevel
from teamop.api.v1beta1.status import ProductStatus


class FlightdeckSpec(ApiModel):
    """FlightdeckSpec defines the desired state of Flightdeck"""

    site_name: str | None = None
    """SiteName is the name of the Site that owns this Flightdeck instance"""
    image: str | None = None
    """Image is the container image for Flightdeck"""
    image_pull_policy: PullPolicy | None = None
    """ImagePullPolicy controls when the kubelet pulls the image"""
    port: int = Field(default=8080, ge=1, le=65535, json_schema_extra={"format": "int32"})
    """Port is the port that the container will listen on"""
    replicas: Replicas = 1
    """Replicas is the number of Flightdeck pods to run"""
    feature_enabler: FeatureEnabler | None = None
    """FeatureEnabler controls which features are enabled in Flightdeck"""
    domain: str | None = Field(default=None, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)
    """Domain is the domain name for Flightdeck ingress"""
    ingress_class: str | None = None
    """IngressClass is the ingress class to use"""
    ingress_annotations: StringMap | None = None
    """IngressAnnotations are annotations to apply to the ingress"""
    image_pull_secrets: list[str] | None = None
    """ImagePullSecrets are references to secrets for pulling images"""
    aws_account_id: str | None = None
    """AwsAccountId is the AWS account ID (used for EKS-to-IAM annotations)"""
    cluster_date: str | None = None
    """ClusterDate is the cluster date ID (used for EKS-to-IAM annotations)"""
    workload_compound_name: str | None = None
    """WorkloadCompoundName is the workload name"""
    log_level: LogLevel = "info"
    """LogLevel sets the logging verbosity (debug, info, warn, error)"""
    log_format: LogFormat = "text"
    """LogFormat sets the log output format (text, json)"""


class FlightdeckStatus(ProductStatus):
    """FlightdeckStatus defines the observed state of Flightdeck"""


class Flightdeck(Resource):
    """Flightdeck is the Schema for the flightdecks API"""

    kind: Literal["Flightdeck"] = "Flightdeck"
    spec: FlightdeckSpec
    status: FlightdeckStatus | None = None
