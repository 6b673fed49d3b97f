"""What taking an object over from a predecessor's field manager removes.

The Go operator writes with Update under its field manager (`team-operator`). A server-side apply by teamop does
not remove fields another manager owns, so a dry-run apply alone does not show them; teamop's takeover
(`runtime.takeover`) first moves the predecessor's fields to teamop's own manager, and the apply then drops every
one it does not render — unless some other manager owns it too. These are those fields: the predecessor's
(finalizers left out, as the takeover leaves them) that the desired object does not set and no other manager owns.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from teamop.diff.fields import ABSENT, FieldChange, key_step
from teamop.runtime.fieldset import APPLY_OPERATION, Path, fields_no_longer_desired, owns_anything, split, subtree
from teamop.runtime.takeover import NOT_TAKEN_OVER, is_predecessor, predecessor_fields


@dataclass(frozen=True)
class Takeover:
    """The predecessor's managers found on an object, and the fields taking it over removes."""

    managers: tuple[str, ...]
    removed: tuple[Path, ...]

    def __bool__(self) -> bool:
        return bool(self.managers)


def takeover(live: Mapping[str, Any], desired: Mapping[str, Any], managers: Collection[str],
             own_manager: str) -> Takeover:
    """The predecessor's fields on `live` that applying `desired` after the takeover removes."""
    found: list[str] = []
    others: list[Mapping[str, Any]] = []
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if is_predecessor(entry, managers):
            if owns_anything(split(entry["fieldsV1"], NOT_TAKEN_OVER)[0]):
                found.append(str(entry.get("manager")))
        elif isinstance(entry.get("fieldsV1"), Mapping) and not (
                entry.get("manager") == own_manager and entry.get("operation") == APPLY_OPERATION
                and not entry.get("subresource")):
            # Any other manager, of any subresource: a field it owns stays when teamop gives it up.
            others.append(entry["fieldsV1"])
    given = predecessor_fields(live, managers)
    removed: list[Path] = []
    for path in fields_no_longer_desired(given, desired):
        removed += [gone for gone in _removed_at(subtree(given, path) or {}, path, others) if gone not in removed]
    return Takeover(tuple(dict.fromkeys(found)), tuple(sorted(removed)))


def _removed_at(node: Mapping[str, Any], path: Path, others: Sequence[Mapping[str, Any]]) -> list[Path]:
    """What of the predecessor's `node` at `path` goes: all of it when no other manager owns anything there;
    else the fields below that no other manager owns (the field itself stays)."""
    if not any(subtree(other, path) is not None for other in others):
        return [path]
    gone: list[Path] = []
    for step, child in node.items():
        if step != ".":
            gone += _removed_at(child if isinstance(child, Mapping) else {}, (*path, step), others)
    return gone


def readable(path: Path) -> str:
    """`spec.template.spec.volumes[name=data]` for (f:spec, f:template, f:spec, f:volumes, k:{"name":"data"})."""
    text = ""
    for step in path:
        kind, _, rest = step.partition(":")
        if kind == "f":
            text += key_step(rest)
        elif kind == "k":
            keys = json.loads(rest)
            text += "[" + ",".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in keys.items()) + "]"
        else:
            text += f"[{rest}]"
    return text.lstrip(".")


def value_at(obj: Any, path: Path) -> Any:
    """The value `path` names in `obj`, or ABSENT."""
    value = obj
    for step in path:
        kind, _, rest = step.partition(":")
        if kind == "f":
            if not isinstance(value, Mapping) or rest not in value:
                return ABSENT
            value = value[rest]
            continue
        if not isinstance(value, list):
            return ABSENT
        if kind == "k":
            keys = json.loads(rest)
            value = next((item for item in value if isinstance(item, Mapping)
                          and all(item.get(k) == v for k, v in keys.items())), ABSENT)
        elif kind == "v":
            wanted = json.loads(rest)
            value = wanted if wanted in value else ABSENT
        elif kind == "i" and rest.isdigit() and int(rest) < len(value):
            value = value[int(rest)]
        else:
            value = ABSENT
        if value is ABSENT:
            return ABSENT
    return value


def with_owners(changes: Iterable[FieldChange], found: Takeover) -> list[FieldChange]:
    """`changes`, those at or below a field the takeover removes noted with who owned it."""
    removed = [readable(path) for path in found.removed]
    note = "owned by " + ", ".join(found.managers)

    def taken(path: str) -> bool:
        return any(path == gone or path.startswith((gone + ".", gone + "[")) for gone in removed)

    return [FieldChange(c.path, c.old, c.new, note) if taken(c.path) else c for c in changes]


def without_fields(obj: Mapping[str, Any], paths: Iterable[Path]) -> dict[str, Any]:
    """A copy of `obj` with the fields `paths` name taken out (what the object is after the takeover)."""
    result = copy.deepcopy(dict(obj))
    for path in paths:
        _remove(result, path)
    return result


def _remove(obj: Any, path: Path) -> None:
    *parents, last = path
    node = obj
    for step in parents:
        node = value_at(node, (step,))
        if node is ABSENT:
            return
    kind, _, rest = last.partition(":")
    if kind == "f" and isinstance(node, dict):
        node.pop(rest, None)
    elif isinstance(node, list):
        target = value_at(node, (last,))
        if target is not ABSENT:
            node[:] = [item for item in node if item is not target and not (kind == "v" and item == target)]
