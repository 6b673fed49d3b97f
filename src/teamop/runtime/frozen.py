"""Read-only dicts and lists for the objects the cache hands out.

Every object the informers cache is shared by every reader: a reconciler that changed one in place would change
what every other reconciler, and the next skip decision, sees. Cached objects are therefore frozen once when they
enter the cache (`freeze`), and reads cost nothing: `FrozenDict` and `FrozenList` are a dict and a list (JSON,
YAML, pydantic and `isinstance` treat them as such) whose changing methods raise `ReadOnlyError`.
`copy.deepcopy` of one gives plain, changeable dicts and lists; `dict(obj)`, `{**obj}` and `list(items)` give
changeable shallow copies (whose nested values stay read-only).
"""

from __future__ import annotations

from typing import Any, NoReturn

import yaml


class ReadOnlyError(TypeError):
    """A cached object was about to be changed in place."""


def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise ReadOnlyError("cached objects are read-only: change a copy (copy.deepcopy(obj)), not the cache")


_MISSING = object()


class FrozenDict(dict[str, Any]):
    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    update = _refuse

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Reads a key that is present (as `get`); refuses to add one."""
        value = dict.get(self, key, _MISSING)
        if value is _MISSING:
            _refuse()
        return value

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {key: thaw(item) for key, item in self.items()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (thaw(self),))


class FrozenList(list[Any]):
    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __iadd__ = _refuse
    __imul__ = _refuse
    append = _refuse
    clear = _refuse
    extend = _refuse
    insert = _refuse
    pop = _refuse
    remove = _refuse
    reverse = _refuse
    sort = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [thaw(item) for item in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, ([thaw(item) for item in self],))


def freeze(value: Any) -> Any:
    """`value` with every dict and list in it read-only (already frozen parts are taken as they are)."""
    cls = value.__class__
    if cls is dict:
        return FrozenDict({key: freeze(item) for key, item in value.items()})
    if cls is list:
        return FrozenList([freeze(item) for item in value])
    return value


def thaw(value: Any) -> Any:
    """A changeable deep copy of `value` (of the dicts and lists in it; strings and numbers are shared)."""
    if isinstance(value, dict):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, list):
        return [thaw(item) for item in value]
    return value


# yaml.safe_dump picks a representer by exact type: give the frozen types the dict's and the list's.
yaml.SafeDumper.add_representer(FrozenDict, yaml.SafeDumper.represent_dict)
yaml.SafeDumper.add_representer(FrozenList, yaml.SafeDumper.represent_list)
yaml.Dumper.add_representer(FrozenDict, yaml.Dumper.represent_dict)
yaml.Dumper.add_representer(FrozenList, yaml.Dumper.represent_list)
