"""The envelope of every custom resource: apiVersion, kind, metadata, spec, status."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from teamop.api.v1beta1.base import ApiModel, KubeObject, StringMap
from teamop.api.v1beta1.k8s import Int64

GROUP = "core.posit.team"
VERSION = "v1beta1"
API_VERSION: Literal["core.posit.team/v1beta1"] = "core.posit.team/v1beta1"


class ObjectMeta(ApiModel):
    """Standard object metadata; the fields teamop reads are typed, the rest are kept as given."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: Int64 | None = None
    labels: StringMap | None = None
    annotations: StringMap | None = None
    finalizers: list[str] | None = None
    owner_references: list[KubeObject] | None = None
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None


class Resource(ApiModel):
    """A custom resource of group core.posit.team, version v1beta1. Each kind narrows `kind` to its name."""

    api_version: Literal["core.posit.team/v1beta1"] = API_VERSION
    kind: str
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)

    def to_dict(self) -> dict[str, Any]:
        """The object as the API server stores it, apiVersion and kind included."""
        return {"apiVersion": self.api_version, "kind": self.kind, **super().to_dict()}
