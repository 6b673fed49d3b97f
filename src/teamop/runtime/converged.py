"""Whether a live object already is as desired: the decision that lets apply skip a write.

A write is skipped only when every field the desired object sets is in the live object with the same value **and**
owned by our field manager through Apply (`fieldset.owned_fields`). Ownership is what makes the decision sound:

- Another manager that changes or removes one of our fields takes it from our field set (a JSON patch that removes
  `allowPrivilegeEscalation: false` leaves our entry without it), so a field that is no longer ours must be applied
  again even where its value looks right (an absent `false` reads like a dropped one).
- The API server drops some zero values it stores (`hostNetwork: false`, an env `value: ""`), yet records them in
  the applier's field set: a zero value absent from the live object but still ours was dropped by the server, not
  removed by someone.
- Lists and maps the API treats as atomic (no list-type map/set: `args`, `command`, `nodeSelector`, a label
  selector) are one field in the field set (`f:args: {}`): anyone who changes them takes them whole. Their values
  are compared whole (an element or key we stopped rendering counts), zero values inside as absent (the server drops
  those there too, and nothing inside is ours alone).

The field set itself says which lists are keyed and by what (`k:{"name":"web"}`), so no schema is needed. The
values the server normalises are compared as it stores them: resource quantities by value (`1000m` is `1`), and
int-or-string values by type (the server keeps `8080` and `"8080"` apart).

Empty maps and lists need care, for the server does not always record them: an empty keyed list (`env: []`) leaves
nothing in the field set, and another manager's key added to a granular map (a Deployment's `annotations: {}`) takes
the map's own entry. An empty list or map is as desired when the live one is empty or absent (a map: and still ours,
for an empty struct such as `emptyDir: {}` means something), or when what it holds belongs to other managers key by
key or element by element. Anything else in it differs: keys we set earlier in an atomic map, or another manager's
whole atomic value. (Defaults the server filled into a struct we render empty would count too: teamop renders none.)

Identity fields the field set never records (`apiVersion`, `kind`, `metadata.name`, `metadata.namespace`) are
compared by value only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from teamop.runtime.compare import QUANTITY_FIELDS, QUANTITY_MAPS, is_zero, parse_quantity
from teamop.runtime.fieldset import Path, fields_no_longer_desired, others_fields, owned_fields, subtree
from teamop.runtime.takeover import has_fields_to_take_over

_ABSENT: Any = object()
_IDENTITY = {(): frozenset({"apiVersion", "kind"}), ("f:metadata",): frozenset({"name", "namespace"})}

Others = Callable[[Path], Mapping[str, Any] | None]
"""The fields other managers own at a fieldsV1 path (their union), or None: asked only for empty desired maps."""


@dataclass
class _Walk:
    others: Others
    limit: int
    found: list[str] = field(default_factory=list)

    def report(self, why: str, path: str) -> None:
        if len(self.found) < self.limit:
            self.found.append(f"{why} {path or '.'}")

    @property
    def done(self) -> bool:
        return len(self.found) >= self.limit


def why_apply(
    desired: Mapping[str, Any],
    live: Mapping[str, Any] | None,
    field_manager: str,
    take_over_managers: Collection[str] = (),
    subresource: str = "",
) -> str | None:
    """Why `desired` must be applied over `live`, or None when the live object already is as desired: every field
    it sets is there with the same value and owned by `field_manager` through Apply (see `converged`), and that
    manager owns nothing it no longer sets."""
    if live is None:
        return "absent"
    if has_fields_to_take_over(live, take_over_managers, subresource):
        return "previous operator owns fields"
    owned = owned_fields(live, field_manager, subresource=subresource)
    others: dict[str, Any] | None = None

    def owned_by_others(path: Path) -> Mapping[str, Any] | None:
        nonlocal others
        if others is None:
            others = others_fields(live, field_manager)
        return subtree(others, path)

    reasons = unconverged(desired, live, owned, others=owned_by_others)
    if reasons:
        return ", ".join(reasons)
    if owned:
        stale = fields_no_longer_desired(owned, desired)
        if stale:
            return "owns fields no longer desired: " + ", ".join(".".join(path) for path in stale[:3])
    return None


def unconverged(
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    owned: Mapping[str, Any] | None,
    *,
    others: Others = lambda _path: None,
    limit: int = 3,
) -> list[str]:
    """Why `live` is not yet `desired` (`differs <path>`, `not owned <path>`), at most `limit` reasons; empty when
    a write would change nothing. `owned`: the fieldsV1 tree our manager owns through Apply (None: no entry)."""
    walk = _Walk(others, limit)
    _map(walk, desired, live, owned, (), "", "")
    return walk.found


def _map(walk: _Walk, want: Mapping[str, Any], have: Any, ours: Mapping[str, Any] | None, steps: Path, path: str,
         key: str) -> None:
    if not _is_map(have):
        have = {}
    identity = _IDENTITY.get(steps, frozenset())
    for name, value in want.items():
        if walk.done:
            return
        if value is None:
            continue
        child_path = f"{path}.{name}" if path else str(name)
        child = have.get(name, _ABSENT)
        if child is None:
            child = _ABSENT
        if name in identity:
            if not _same(value, child, str(name), key):
                walk.report("differs", child_path)
            continue
        node = ours.get(f"f:{name}") if ours is not None else None
        _value(walk, value, child, node if _is_map(node) else None, (*steps, f"f:{name}"), child_path,
               str(name), key)


def _value(walk: _Walk, want: Any, have: Any, ours: Mapping[str, Any] | None, steps: Path, path: str, name: str,
           parent: str) -> None:
    """`want` at `path` (the field `name` of a map whose own key is `parent`); `ours` the field set's node there."""
    if (_is_map(want) or isinstance(want, list)) and not want:
        _empty(walk, want, have, ours, steps, path)
        return
    if ours is not None and not _children(ours) and (_is_map(want) or isinstance(want, list)):
        if not _same(want, have, name, parent):  # atomic: ours as a whole
            walk.report("differs", path)
        return
    if _is_map(want):
        if have is not _ABSENT and not _is_map(have):
            walk.report("differs", path)
        else:  # not ours: each field below says so (identity fields need no owner)
            _map(walk, want, have, ours, steps, path, name)
        return
    if isinstance(want, list):
        if have is not _ABSENT and not isinstance(have, list):
            walk.report("differs", path)
        elif ours is None:
            walk.report("not owned", path)
        else:
            _list(walk, want, have if isinstance(have, list) else [], ours, steps, path, name)
        return
    if have is _ABSENT:
        if not is_zero(want):
            walk.report("differs", path)
        elif ours is None:  # a zero value the server dropped is still ours; one someone removed is not
            walk.report("not owned", path)
        return
    if not _same(want, have, name, parent):
        walk.report("differs", path)
    elif ours is None:
        walk.report("not owned", path)


def _empty(walk: _Walk, want: Mapping[str, Any] | list[Any], have: Any, ours: Mapping[str, Any] | None,
           steps: Path, path: str) -> None:
    if have is _ABSENT or ((_is_map(have) or isinstance(have, list)) and not have):
        if ours is None and _is_map(want):  # an empty struct (`emptyDir: {}`) someone removed
            walk.report("not owned", path)
        return
    if not (isinstance(have, list) if isinstance(want, list) else _is_map(have)):
        walk.report("differs", path)
        return
    if ours is not None and _children(ours):
        return  # granular and ours: what we stopped setting is found as no longer desired
    theirs = walk.others(steps)
    if theirs is None or not _children(theirs):  # atomic (or nobody's): the live value is not the empty one
        walk.report("differs", path)


def _list(walk: _Walk, want: list[Any], have: list[Any], ours: Mapping[str, Any], steps: Path, path: str,
          name: str) -> None:
    owned = _OwnedElements(ours)
    live = _LiveElements(have)
    for index, element in enumerate(want):
        if walk.done:
            return
        if element is None:
            continue
        element_path = f"{path}[{index}]"
        step = owned.find(element, index)
        if step is None:
            walk.report("not owned", element_path)
            continue
        found = live.find(step)
        if found is _ABSENT:
            walk.report("differs", element_path)
        else:  # an element owned as a whole (`k:{...}: {}`) is an atomic struct (an owner reference)
            _value(walk, element, found, ours[step.text], (*steps, step.text), element_path, name, name)


@dataclass(frozen=True)
class _Step:
    """A list element's step in the field set: by key fields (`k`, a dict), by value (`v`) or by index (`i`)."""

    text: str
    kind: str
    value: Any

    @classmethod
    def parse(cls, text: str) -> _Step:
        kind, _, rest = text.partition(":")
        return cls(text, kind, int(rest) if kind == "i" else json.loads(rest) if kind in ("k", "v") else None)


def _hashable(value: Any) -> Any:
    """`value` as a dict key that tells `true` from `1` (a JSON list or map as its text)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, list | dict):
        return ("json", json.dumps(value, sort_keys=True))
    return value


def _key(element: Mapping[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(_hashable(element.get(name)) for name in names)


class _OwnedElements:
    """The elements of a list node of our field set, found by their key fields (lists are keyed by the same fields
    throughout: an index per set of key names), their value or their index."""

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.steps = [_Step.parse(text) for text, child in node.items() if text != "." and _is_map(child)]
        self.by_key: dict[tuple[str, ...], dict[tuple[Any, ...], _Step]] = {}
        self.by_value: dict[Any, _Step] = {}
        self.by_index: dict[int, _Step] = {}
        for step in self.steps:
            if step.kind == "k" and isinstance(step.value, dict):
                names = tuple(sorted(step.value))
                self.by_key.setdefault(names, {})[_key(step.value, names)] = step
            elif step.kind == "v":
                self.by_value[_hashable(step.value)] = step
            elif step.kind == "i":
                self.by_index[step.value] = step

    def find(self, element: Any, index: int) -> _Step | None:
        """The step of a desired element. A key field the desired element leaves to the server's default
        (`protocol: TCP` of a port) matches any value, exact matches first."""
        if index in self.by_index:
            return self.by_index[index]
        if not _is_map(element):
            return self.by_value.get(_hashable(element))
        for names, steps in self.by_key.items():
            step = steps.get(_key(element, names))
            if step is not None:
                return step
        for step in self.steps:
            if step.kind == "k" and all(element.get(k) is None or element.get(k) == v for k, v in step.value.items()):
                return step
        return None


class _LiveElements:
    """The live list's elements, indexed on demand by the key fields asked for."""

    def __init__(self, elements: list[Any]) -> None:
        self.elements = elements
        self.by_key: dict[tuple[str, ...], dict[tuple[Any, ...], Any]] = {}

    def find(self, step: _Step) -> Any:
        if step.kind == "k":
            names = tuple(sorted(step.value))
            index = self.by_key.get(names)
            if index is None:
                index = self.by_key[names] = {}
                for element in reversed(self.elements):  # the first of duplicates wins
                    if _is_map(element):
                        index[_key(element, names)] = element
            return index.get(_key(step.value, names), _ABSENT)
        if step.kind == "v":
            wanted = _hashable(step.value)
            return next((e for e in self.elements if _hashable(e) == wanted), _ABSENT)
        position = int(step.value)
        return self.elements[position] if 0 <= position < len(self.elements) else _ABSENT


def _is_map(value: Any) -> bool:
    return isinstance(value, dict | Mapping)  # dict first: an ABC check is slow


def _children(node: Mapping[str, Any]) -> bool:
    return any(step != "." for step in node)


def _same_type(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and isinstance(a, str) == isinstance(b, str)


def _same(want: Any, have: Any, name: str, parent: str) -> bool:
    """Whole values compared as the server stores them (inside atomic values, zero values count as absent)."""
    if have is _ABSENT or have is None:
        return is_zero(want)
    if _is_map(want):
        if not _is_map(have):
            return False
        for key in {*want, *have}:
            wanted, held = want.get(key), have.get(key)
            if wanted is None:
                if not is_zero(held):
                    return False
            elif not _same(wanted, _ABSENT if held is None else held, str(key), name):
                return False
        return True
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(
            _same(w, h, name, parent) for w, h in zip(want, have, strict=True))
    if (parent in QUANTITY_MAPS or name in QUANTITY_FIELDS) and _scalar(want) and _scalar(have):
        wanted, held = parse_quantity(want), parse_quantity(have)
        if wanted is not None and held is not None:
            return wanted == held
    return bool(want == have) and _same_type(want, have)


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)
