"""The result of rendering one product: its objects in apply order and its config files.

Interface (stable; Workbench and Flightdeck rendering build on it):

- `Rendered()` then `rendered.add(obj, ...)` for each object body (a plain dict as the API server takes it);
  `rendered.files[name] = text` for each config file the product reads (file name → text, across all of the
  product's ConfigMaps; names are unique within a product).
- `rendered.objects` — the objects sorted into apply order (`APPLY_ORDER` by kind; objects of one kind keep the
  order they were added in): ServiceAccounts and Secrets before the ConfigMaps, RBAC and claims a workload
  needs, the workload before its Ingress and PodDisruptionBudget.
- `rendered.get(kind, name)` / `rendered.of_kind(kind)` — look-ups for callers and tests.
- `rendered.warnings` — things the spec asks for that could not be rendered (e.g. a licence with nothing to go
  on, an SSH key in a secret store teamop cannot mount), for the controller to report in a condition.
- `config_hash(files)` / `rendered.config_hash` — sha256 over the config files (names and texts, sorted by name).
  Renderers put it in a pod-template annotation so that a change of any config file rolls the pods and nothing
  else does.

The runtime adds the controller ownerReference and the managed-by label when it applies the objects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

APPLY_ORDER: tuple[str, ...] = (
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "Role",
    "RoleBinding",
    "PersistentVolumeClaim",
    "PostgresDatabase",
    "Service",
    "Deployment",
    "StatefulSet",
    "Ingress",
    "PodDisruptionBudget",
)


def config_hash(files: Mapping[str, str]) -> str:
    """sha256 (hex) of the config files: each name and text, in name order, length-prefixed so that no two
    different sets of files hash alike."""
    digest = hashlib.sha256()
    for name in sorted(files):
        for part in (name, files[name]):
            data = part.encode()
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
    return digest.hexdigest()


def _rank(kind: str) -> int:
    return APPLY_ORDER.index(kind) if kind in APPLY_ORDER else len(APPLY_ORDER)


@dataclass
class Rendered:
    """A product's desired objects and config files."""

    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _objects: list[dict[str, Any]] = field(default_factory=list)

    def add(self, *objects: dict[str, Any] | None) -> None:
        """Add object bodies; `None` is skipped (builders return it for an object that is not wanted)."""
        for obj in objects:
            if obj is None:
                continue
            if self.find(obj["kind"], obj["metadata"]["name"]) is not None:
                raise ValueError(f"{obj['kind']} {obj['metadata']['name']} rendered twice")
            self._objects.append(obj)

    @property
    def objects(self) -> list[dict[str, Any]]:
        return sorted(self._objects, key=lambda obj: _rank(obj["kind"]))

    @property
    def config_hash(self) -> str:
        return config_hash(self.files)

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        for obj in self._objects:
            if obj["kind"] == kind and obj["metadata"]["name"] == name:
                return obj
        return None

    def get(self, kind: str, name: str) -> dict[str, Any]:
        obj = self.find(kind, name)
        if obj is None:
            raise KeyError(f"no {kind} {name} rendered")
        return obj

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects if obj["kind"] == kind]
