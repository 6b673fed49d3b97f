"""Status types: metav1.Condition and what every kind reports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from teamop.api.v1beta1.base import ApiModel, NonNegativeInt
from teamop.api.v1beta1.k8s import Int64, SecretReference

CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
CONDITION_TYPE_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)


class Condition(ApiModel):
    """One aspect of the object's state, as metav1.Condition."""

    type: str = Field(max_length=316, pattern=CONDITION_TYPE_PATTERN)
    """The aspect, in CamelCase: Ready, DatabaseReady, …"""
    status: Literal["True", "False", "Unknown"]
    """True, False or Unknown."""
    observed_generation: Int64 | None = Field(default=None, ge=0)
    """The metadata.generation the condition was set from."""
    last_transition_time: datetime = Field(json_schema_extra={"format": "date-time"})
    """When status last changed."""
    reason: str = Field(min_length=1, max_length=1024, pattern=CONDITION_REASON_PATTERN)
    """A CamelCase word saying why."""
    message: str = Field(max_length=32768)
    """A human-readable explanation; may be empty."""


Conditions = list[Condition]
CONDITIONS_SCHEMA_EXTRA: JsonDict = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}


class CommonStatus(ApiModel):
    """What every kind reports."""

    # The reference CRDs require `ready` in a status; its default (false) keeps that satisfied.
    model_config = ConfigDict(json_schema_extra={"required": ["ready"]})

    conditions: Conditions | None = Field(default=None, json_schema_extra=CONDITIONS_SCHEMA_EXTRA)
    """The latest observations of the object's state; every kind has Ready."""
    observed_generation: Int64 | None = Field(default=None, ge=0)
    """The metadata.generation the status was computed from."""
    ready: bool = False
    """Whether the object is ready (kept from the reference operator; the Ready condition says why)."""


class ProductStatus(CommonStatus):
    """What a product (Connect, Workbench, Package Manager, Flightdeck, Chronicle) reports."""

    url: str | None = None
    """Where users reach the product."""
    ready_replicas: NonNegativeInt | None = None
    """Pods of the product that are ready."""
    desired_replicas: NonNegativeInt | None = None
    """Pods of the product that are wanted."""
    image: str | None = None
    """The container image the product runs."""
    database_ready: bool | None = None
    """Whether the product's database is provisioned (absent when the product has none)."""


class KeyedProductStatus(ProductStatus):
    """The status of a product that keeps an encryption key in a Secret."""

    key_secret_ref: SecretReference | None = None
    """The Secret holding the product's generated key (kept from the reference operator)."""
