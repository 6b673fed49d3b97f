"""Field paths of an OpenAPI v3 (structural) schema, for comparing two CRDs field by field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import yaml

REFERENCE_DIR = FilePath(__file__).resolve().parents[1] / "reference"

PASS_THROUGH = "any (x-kubernetes-preserve-unknown-fields)"
INT_OR_STRING = "int-or-string"


def node_type(node: dict[str, Any]) -> str:
    if node.get("x-kubernetes-int-or-string"):
        return INT_OR_STRING
    if "type" in node:
        return str(node["type"])
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return PASS_THROUGH
    return "untyped"


Path = tuple[str, ...]
"""A field path as steps: property names, "[]" for list items, "{}" for map values."""


def show(path: Path) -> str:
    return ".".join(path).replace(".[]", "[]").replace(".{}", "{}")


def field_paths(node: dict[str, Any], path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every (path, schema) below `node`."""
    children: list[tuple[str, Any]] = list((node.get("properties") or {}).items())
    children += [("[]", node.get("items")), ("{}", node.get("additionalProperties"))]
    for step, child in children:
        if isinstance(child, dict):
            yield (*path, step), child
            yield from field_paths(child, (*path, step))


@dataclass(frozen=True)
class Lookup:
    """Where a path led in a schema: the node, or a pass-through object that accepts anything below it."""

    node: dict[str, Any] | None
    passed_through: bool = False

    @property
    def accepts_anything(self) -> bool:
        """The path is inside, or is, a pass-through object (a Kubernetes core type kept as given)."""
        node = self.node or {}
        return self.passed_through or (
            bool(node.get("x-kubernetes-preserve-unknown-fields")) and not node.get("properties")
        )


def lookup(schema: dict[str, Any], path: Path) -> Lookup:
    node = schema
    for step in path:
        if node.get("x-kubernetes-preserve-unknown-fields") and not node.get("properties"):
            return Lookup(node, passed_through=True)
        if step == "[]":
            child = node.get("items")
        elif step == "{}":
            child = node.get("additionalProperties")
        else:
            child = (node.get("properties") or {}).get(step)
        if not isinstance(child, dict):
            return Lookup(None)
        node = child
    return Lookup(node)


def incompatibilities(reference: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """What in `reference` has no compatible counterpart in `ours`: a missing field or another type."""
    problems = []
    for path, reference_node in field_paths(reference):
        found = lookup(ours, path)
        if found.node is None:
            problems.append(f"{show(path)}: missing (reference type {node_type(reference_node)})")
            continue
        if found.passed_through:
            continue
        expected, actual = node_type(reference_node), node_type(found.node)
        if actual != expected and actual != PASS_THROUGH:
            problems.append(f"{show(path)}: type {actual}, reference {expected}")
    return problems


def crd_schema(crd: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def load_yaml(path: FilePath) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def reference_crd(plural: str) -> dict[str, Any]:
    return load_yaml(REFERENCE_DIR / "crd" / f"core.posit.team_{plural}.yaml")


def unknown_fields(value: Any, schema: dict[str, Any], path: Path = ()) -> list[Path]:
    """Paths in `value` that `schema` does not define (what strict field validation rejects)."""
    if schema.get("x-kubernetes-preserve-unknown-fields") and not schema.get("properties"):
        return []
    found: list[Path] = []
    if isinstance(value, dict):
        properties = schema.get("properties")
        values = schema.get("additionalProperties")
        for key, child in value.items():
            if properties is not None and key in properties:
                found += unknown_fields(child, properties[key], (*path, key))
            elif isinstance(values, dict):
                found += unknown_fields(child, values, (*path, key))
            elif properties is not None or schema.get("type") == "object":
                found.append((*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            found += unknown_fields(item, schema["items"], path)
    return found
