"""Server-side apply field sets (`metadata.managedFields[].fieldsV1`) and the question apply needs answered:
which fields does our field manager own that the desired object no longer sets?

fieldsV1 is a tree: `f:<name>` a map field, `k:<json object>` a list element picked by its key fields, `v:<json>`
a set element by value, `i:<n>` a list element by index, and `.` the element itself. Instead of rebuilding the
desired object's field set — which needs the schema to know which lists are keyed and by what — the owned tree is
walked against the desired object: the tree itself says how each list is keyed.

A node is owned itself when it is empty (`{}`) or holds `.`; its other keys are the fields below it it owns. The
set operations (`union`, `split`) keep that encoding, as the API server writes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
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


def others_fields(obj: Mapping[str, Any], manager: str) -> dict[str, Any]:
    """The fields every entry on `obj` but our manager's Apply entries owns, whatever its subresource (metadata is
    written through both: the deployment controller sets its revision annotation with its status)."""
    return union(*(entry["fieldsV1"] for entry in (obj.get("metadata") or {}).get("managedFields") or []
                   if isinstance(entry.get("fieldsV1"), Mapping)
                   and not (entry.get("manager") == manager and entry.get("operation") == APPLY_OPERATION)))


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


def _is_member(node: Mapping[str, Any]) -> bool:
    return not node or "." in node


def _children(node: Mapping[str, Any]) -> dict[str, Any]:
    return {key: child for key, child in node.items() if key != "."}


def _node(member: bool, children: Mapping[str, Any]) -> dict[str, Any] | None:
    """The encoding of a node; None for one that owns nothing (it is left out of its parent)."""
    if not children:
        return {} if member else None
    return {**({".": {}} if member else {}), **children}


def union(*trees: Mapping[str, Any]) -> dict[str, Any]:
    """Every field any of the trees owns (what the server's field set union gives)."""
    result: dict[str, Any] = {}
    for tree in trees:
        for key, child in tree.items():
            if key == ".":
                continue
            child = child if isinstance(child, Mapping) else {}
            if key not in result:
                result[key] = _copy(child)
                continue
            mine = result[key]
            merged = _node(_is_member(mine) or _is_member(child), union(_children(mine), _children(child)))
            result[key] = merged if merged is not None else {}
    return result


def _copy(node: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _copy(child) if isinstance(child, Mapping) else {} for key, child in node.items()}


def split(tree: Mapping[str, Any], paths: Iterable[Path]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(`tree` without the subtrees at `paths`, those subtrees alone). A parent left owning nothing is dropped
    from the first; in the second, parents are only the way down (not owned)."""
    rest = _copy(tree)
    taken: dict[str, Any] = {}
    for path in paths:
        rest, found = _take(rest, path)
        taken = union(taken, found)
    return rest, taken


def _take(tree: Mapping[str, Any], path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    step, below = path[0], path[1:]
    child = tree.get(step)
    if not isinstance(child, Mapping):
        return dict(tree), {}
    rest = {key: value for key, value in tree.items() if key != step}
    if not below:
        return rest, {step: _copy(child)}
    left, found = _take(_children(child), below)
    kept = _node(_is_member(child), left)
    if kept is not None:
        rest[step] = kept
    found_node = _node(False, found)
    return rest, ({step: found_node} if found_node is not None else {})


def owns_anything(tree: Mapping[str, Any]) -> bool:
    """Whether the tree owns at least one field (a tree of bare parents owns nothing)."""
    return any(key != "." and (not isinstance(child, Mapping) or _is_member(child) or owns_anything(child))
               for key, child in tree.items())


def subtree(tree: Mapping[str, Any], path: Path) -> Mapping[str, Any] | None:
    """The node at `path`, or None when the tree has none there."""
    node: Any = tree
    for step in path:
        if not isinstance(node, Mapping) or step not in node:
            return None
        node = node[step]
    return node if isinstance(node, Mapping) else {}
