"""Workbench: the development environment."""

from __future__ import annotations

from typing import Literal

from teamop.api.v1beta1.common import AuthSpec, SessionConfig, SnowflakeConfig, VolumeSpec
from teamop.api.v1beta1.k8s import Toleration
from teamop.api.v1beta1.product import ProductSpec
from teamop.api.v1beta1.resource import Resource
from teamop.api.v1beta1.status import KeyedProductStatus
from teamop.api.v1beta1.workbench_config import WorkbenchConfig, WorkbenchSecretConfig


class WorkbenchSpec(ProductSpec):
    """WorkbenchSpec defines the desired state of Workbench"""

    config: WorkbenchConfig | None = None
    """Workbench's configuration files."""
    secret_config: WorkbenchSecretConfig | None = None
    """Workbench's configuration files that hold secrets."""
    session_config: SessionConfig | None = None
    """SessionConfig houses all session configuration"""
    auth: AuthSpec | None = None
    parent_url: str | None = None
    """The URL of the Site's landing page."""
    off_host_execution: bool | None = None
    """Run sessions in their own pods (the Kubernetes launcher)."""
    non_root: bool | None = None
    """NonRoot enables rootless execution for workbench (as far as Workbench allows)"""
    additional_volumes: list[VolumeSpec] | None = None
    """AdditionalVolumes are further volumes mounted into Workbench and its sessions"""
    tolerations: list[Toleration] | None = None
    """Tolerations of the server pods."""
    snowflake: SnowflakeConfig | None = None
    auth_login_page_html: str | None = None
    """AuthLoginPageHtml is custom HTML shown on the Workbench login page"""
    dsn_secret: str | None = None
    """DsnSecret is the key of the site secret holding the DSN to include with sessions (/etc/odbc.ini)"""
    chronicle_sidecar_product_api_key_enabled: bool | None = None
    """The API key for this product is in the site secret: inject it into the Chronicle sidecar's environment"""


class WorkbenchStatus(KeyedProductStatus):
    """WorkbenchStatus defines the observed state of Workbench"""


class Workbench(Resource):
    """Workbench is the Schema for the workbenches API"""

    kind: Literal["Workbench"] = "Workbench"
    spec: WorkbenchSpec
    status: WorkbenchStatus | None = None
