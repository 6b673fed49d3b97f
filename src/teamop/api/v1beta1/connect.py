"""Connect: the publishing platform."""

from __future__ import annotations

from typing import Literal

from teamop.api.v1beta1.common import AuthSpec, SessionConfig, VolumeSpec
from teamop.api.v1beta1.connect_config import ConnectConfig
from teamop.api.v1beta1.product import ProductSpec
from teamop.api.v1beta1.resource import Resource
from teamop.api.v1beta1.status import KeyedProductStatus


class ConnectSpec(ProductSpec):
    """ConnectSpec defines the desired state of Connect"""

    config: ConnectConfig | None = None
    """Connect's configuration file (rstudio-connect.gcfg)."""
    session_config: SessionConfig | None = None
    """SessionConfig houses all session configuration"""
    auth: AuthSpec | None = None
    session_image: str | None = None
    """The image of content sessions."""
    off_host_execution: bool | None = None
    """Run content in session pods (the Kubernetes launcher) instead of the server pod."""
    additional_volumes: list[VolumeSpec] | None = None
    """AdditionalVolumes are further volumes mounted into Connect"""
    debug: bool | None = None
    """Debug enables debug settings; it overrides the config's logging."""
    dsn_secret: str | None = None
    """DsnSecret is the key of the site secret holding the DSN to include with sessions (/etc/odbc.ini)"""
    chronicle_sidecar_product_api_key_enabled: bool | None = None
    """The API key for this product is in the site secret: inject it into the Chronicle sidecar's environment"""


class ConnectStatus(KeyedProductStatus):
    """ConnectStatus defines the observed state of Connect"""


class Connect(Resource):
    """Connect is the Schema for the connects API"""

    kind: Literal["Connect"] = "Connect"
    spec: ConnectSpec
    status: ConnectStatus | None = None
