"""Server-side apply field sets (`metadata.managedFields[].fieldsV1`) and the question apply needs answered:
which fields does our field manager own that the desired object no longer sets?

fieldsV1 is a tree: `f:<name>` a map field, `k:<json object>` a list element picked by its key fields, `v:<json>`
a set element by value, `i:<n>` a list element by index, and `.` the element itself. Instead of rebuilding the
desired object's field set — which needs the schema to know which lists are keyed and by what — the owned tree is
walked against the desired object: the tree itself says how each list is keyed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

Path = tuple[str, ...]

APPLY_OPERATION = "Apply"


def owned_fields(obj: Mapping[str, Any], manager: str, *, subresource: str = "") -> Mapping[str, Any] | None:
    """The fieldsV1 tree our manager owns through Apply on `obj` (main resource unless `subresource`), or None."""
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if (
            entry.get("manager") == manager
            and entry.get("operation") == APPLY_OPERATION
            and entry.get("subresource", "") == subresource
            and entry.get("fieldsType", "FieldsV1") == "FieldsV1"
        ):
            fields = entry.get("fieldsV1")
            return fields if isinstance(fields, Mapping) else {}
    return None


def leaf_paths(fields: Mapping[str, Any], prefix: Path = ()) -> Iterator[Path]:
    """Every path of the tree that ends in an empty node (a field owned as a whole)."""
    for key, child in fields.items():
        if key == ".":
            continue
        path = (*prefix, key)
        if isinstance(child, Mapping) and child:
            yield from leaf_paths(child, path)
        else:
            yield path


def _select(value: Any, step: str) -> tuple[bool, Any]:
    """Follow one fieldsV1 step into `value`: (found, the value there)."""
    kind, _, rest = step.partition(":")
    if kind == "f":
        if isinstance(value, Mapping) and rest in value and value[rest] is not None:
            return True, value[rest]
        return False, None
    if not isinstance(value, list):
        return False, None
    if kind == "k":
        keys = json.loads(rest)
        for element in value:
            if isinstance(element, Mapping) and all(_same_key(element.get(k), v) for k, v in keys.items()):
                return True, element
        return False, None
    if kind == "v":
        wanted = json.loads(rest)
        return (wanted in value), wanted
    if kind == "i":
        index = int(rest)
        return (0 <= index < len(value)), (value[index] if 0 <= index < len(value) else None)
    return False, None


def _same_key(actual: Any, key: Any) -> bool:
    # Key values in fieldsV1 are the defaulted values (e.g. `protocol: TCP` on ports): a desired element that leaves
    # a key field to the server's default still is that element.
    return actual is None or bool(actual == key)


def fields_no_longer_desired(fields: Mapping[str, Any], desired: Any) -> list[Path]:
    """Owned leaf paths the desired object does not set any more."""
    missing: list[Path] = []

    def walk(tree: Mapping[str, Any], value: Any, prefix: Path) -> None:
        for step, child in tree.items():
            if step == ".":
                continue
            found, inner = _select(value, step)
            path = (*prefix, step)
            if not found:
                missing.append(path)
            elif isinstance(child, Mapping) and child:
                walk(child, inner, path)

    walk(fields, desired, ())
    return missing
