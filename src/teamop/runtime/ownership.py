"""Owner references and the managed-by label: who controls an object, and how to mark what we create."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
DEFAULT_MANAGED_BY_VALUE = "team-operator"


@dataclass(frozen=True)
class ManagedBy:
    """The label every object the engine writes carries; informers of children select on it."""

    key: str = DEFAULT_MANAGED_BY_KEY
    value: str = DEFAULT_MANAGED_BY_VALUE
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def selector(self) -> str:
        return f"{self.key}={self.value}"

    def labels(self) -> dict[str, str]:
        return {**self.extra, self.key: self.value}


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ownerReference with `controller: true`, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def is_controlled_by(obj: Mapping[str, Any], owner_uid: str) -> bool:
    ref = controller_of(obj)
    return ref is not None and ref.get("uid") == owner_uid


def controller_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    metadata = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": metadata["name"],
        "uid": metadata["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def describe(obj: Mapping[str, Any]) -> str:
    """`Kind namespace/name` (or `Kind name` when cluster-scoped), for messages."""
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    name = metadata.get("name", "?")
    return f"{obj.get('kind', '?')} {namespace}/{name}" if namespace else f"{obj.get('kind', '?')} {name}"


def describe_reference(ref: Mapping[str, Any]) -> str:
    return f"{ref.get('kind', '?')} {ref.get('name', '?')} (uid {ref.get('uid', '?')})"


class OwnershipConflict(Exception):
    """A desired object exists and is controlled by another owner; the engine will not take it over."""

    def __init__(self, obj: Mapping[str, Any], controller: Mapping[str, Any], owner: Mapping[str, Any]) -> None:
        self.object = describe(obj)
        self.controller = describe_reference(controller)
        self.owner = describe(owner)
        super().__init__(
            f"{self.object} is controlled by {self.controller}, not by {self.owner}; refusing to take it over"
        )
