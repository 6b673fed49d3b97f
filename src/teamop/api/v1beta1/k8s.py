"""Kubernetes core types that the reference CRDs embed.

Small ones are typed. Large ones (Affinity, Container, Volume, VolumeMount, SecurityContext, EnvVarSource) are
kept as pass-through objects: the API server validates them where teamop uses them (in a Pod template), and they
round-trip unchanged.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from teamop.api.v1beta1.base import ApiModel, KubeObject

PullPolicy = Literal["Always", "IfNotPresent", "Never"]
"""When the kubelet pulls a container image."""

Int64 = Annotated[int, Field(json_schema_extra={"format": "int64"})]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1, json_schema_extra={"format": "int32"})]

Affinity = KubeObject
Container = KubeObject
Volume = KubeObject
VolumeMount = KubeObject
SecurityContext = KubeObject
PodSecurityContext = KubeObject
EnvVarSource = KubeObject


class Toleration(ApiModel):
    """The pod this Toleration is attached to tolerates any taint that matches the triple <key,value,effect>
    using the matching operator <operator>."""

    key: str | None = None
    """Key is the taint key that the toleration applies to. Empty means match all taint keys."""
    operator: str | None = None
    """Operator represents a key's relationship to the value: Exists or Equal (the default)."""
    value: str | None = None
    """Value is the taint value the toleration matches to."""
    effect: str | None = None
    """Effect indicates the taint effect to match: NoSchedule, PreferNoSchedule, NoExecute or empty for all."""
    toleration_seconds: Int64 | None = None
    """How long a toleration of effect NoExecute tolerates the taint; unset means forever."""


class EnvVar(ApiModel):
    """EnvVar represents an environment variable present in a Container."""

    name: str
    """Name of the environment variable."""
    value: str | None = None
    """Value of the variable; $(VAR_NAME) references are expanded."""
    value_from: EnvVarSource | None = None
    """Source for the environment variable's value. Cannot be used if value is not empty."""


class LocalObjectReference(ApiModel):
    """A reference to an object (here: an image pull Secret) in the same namespace."""

    name: str = ""
    """Name of the referent."""


class SecretReference(ApiModel):
    """A reference to a Secret, by name and namespace."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-map-type": "atomic"})

    name: str | None = None
    """Name is unique within a namespace to reference a secret resource."""
    namespace: str | None = None
    """Namespace defines the space within which the secret name must be unique."""
