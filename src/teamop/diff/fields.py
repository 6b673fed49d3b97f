"""Field-level differences between two versions of a Kubernetes object, with readable paths.

A path reads as a user would point at the field: `spec.replicas`, `metadata.labels["posit.team/site"]`,
`spec.template.spec.containers[name=connect].env[name=LOG_LEVEL].value`. List elements are named by the field
that identifies them (`name`, `mountPath`, `containerPort`, …) when every element has a distinct one, else by
position. Secret values never enter a FieldChange: `secret_changes` puts a placeholder in place of a Secret's
values, and `object_changes` in place of the secret fields of any other object (`password`, `clientSecret`, …,
`license.key`: those `teamop render` hides too) — compared, never shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from teamop.controllers.preview import SECRET_FIELDS

GENERATED: Final = "<generated>"
"""The value shown for a key teamop generates."""
REDACTED: Final = "<redacted>"
"""The value shown for every other secret value."""

# Fields the server sets on every write, or that teamop never writes: not a change anyone asked for.
_SERVER_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink")
# Fields that name a list element, in order of preference (Kubernetes' merge keys, mostly).
_ELEMENT_KEYS = ("name", "mountPath", "devicePath", "containerPort", "port", "uid", "ip", "key", "type")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Absent:
    """No value: the field does not exist on that side."""

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent()


@dataclass(frozen=True)
class FieldChange:
    """One field that would change: added (old ABSENT), removed (new ABSENT) or changed."""

    path: str
    old: Any = ABSENT
    new: Any = ABSENT
    note: str = ""
    """Why, when not obvious (e.g. `owned by team-operator`)."""

    @property
    def added(self) -> bool:
        return self.old is ABSENT and self.new is not ABSENT

    @property
    def removed(self) -> bool:
        return self.new is ABSENT and self.old is not ABSENT


Step = str | int | tuple[str, Any]
"""A map key, a list index, or a list element named by (field, value)."""


def key_step(key: str) -> str:
    return f".{key}" if _PLAIN_KEY.match(key) else f"[{json.dumps(key)}]"


def path_text(steps: Sequence[Step]) -> str:
    """`spec.containers[name=connect].env[0]` for the steps (field, (name, connect), env, 0)."""
    text = ""
    for step in steps:
        if isinstance(step, str):
            text += key_step(step)
        elif isinstance(step, int):
            text += f"[{step}]"
        else:
            field, value = step
            shown = value if isinstance(value, str) and "]" not in value else json.dumps(value)
            text += f"[{field}={shown}]"
    return text.lstrip(".")


def without_server_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """`obj` without status and the metadata the server sets on every write."""
    body = {key: value for key, value in obj.items() if key != "status"}
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping):
        body["metadata"] = {key: value for key, value in metadata.items() if key not in _SERVER_METADATA}
    return body


def object_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """Every field that differs between two versions of an object (not a Secret: see `secret_changes`)."""
    changes: list[FieldChange] = []
    _walk(without_server_fields(before), without_server_fields(after), (), changes)
    return changes


def _walk(old: Any, new: Any, steps: tuple[Step, ...], out: list[FieldChange]) -> None:
    if old == new and type(old) is type(new):
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*new, *(k for k in old if k not in new)]:
            _walk(old.get(key, ABSENT), new.get(key, ABSENT), (*steps, str(key)), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        element_key = _element_key(old, new)
        if element_key is not None:
            olds = {item[element_key]: item for item in old}
            news = {item[element_key]: item for item in new}
            for value in [*news, *(v for v in olds if v not in news)]:
                _walk(olds.get(value, ABSENT), news.get(value, ABSENT), (*steps, (element_key, value)), out)
            return
        if len(old) == len(new) and all(isinstance(item, Mapping) for item in [*old, *new]):
            for index, (was, becomes) in enumerate(zip(old, new, strict=True)):
                _walk(was, becomes, (*steps, index), out)
            return
    keys = [step for step in steps if isinstance(step, str)]
    key, parent = (keys[-1] if keys else None), (keys[-2] if len(keys) > 1 else None)
    out.append(FieldChange(path_text(steps), _masked(old, key, parent), _masked(new, key, parent)))


def _is_secret_field(key: Any, parent: Any) -> bool:
    return key in SECRET_FIELDS or (key == "key" and parent == "license")


def _masked(value: Any, key: Any, parent: Any) -> Any:
    """`value` with the text of every secret field in it (or of itself) replaced by `<redacted>`."""
    if isinstance(value, str):
        return REDACTED if value and _is_secret_field(key, parent) else value
    if isinstance(value, Mapping):
        return {name: _masked(item, name, key) for name, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, key, parent) for item in value]
    return value


def _element_key(*lists: list[Any]) -> str | None:
    """The field that names every element of the lists (distinct within each), if any."""
    items = [item for items in lists for item in items]
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    for candidate in _ELEMENT_KEYS:
        if all(_hashable(item.get(candidate)) for item in items) and all(
            len({item[candidate] for item in items_}) == len(items_) for items_ in lists
        ):
            return candidate
    return None


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def secret_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any], *,
                   generated: bool) -> list[FieldChange]:
    """The keys of a Secret that would be added, changed or removed — values replaced by `<generated>` (keys of
    a Secret whose values teamop generates) or `<redacted>`; other fields as `object_changes` has them."""
    placeholder = GENERATED if generated else REDACTED

    def masked(secret: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
        body = without_server_fields(secret or {})
        values = {**(body.pop("stringData", None) or {}), **(body.pop("data", None) or {})}
        return body, values

    old_body, old_values = masked(before)
    new_body, new_values = masked(after)
    changes = object_changes(old_body, new_body) if before is not None else []
    for key in [*new_values, *(k for k in old_values if k not in new_values)]:
        path = path_text(("data", key))
        if key not in old_values:
            changes.append(FieldChange(path, new=placeholder))
        elif key not in new_values:
            changes.append(FieldChange(path, old=REDACTED))
        elif old_values[key] != new_values[key]:
            changes.append(FieldChange(path, old=REDACTED, new=placeholder))
    return changes
