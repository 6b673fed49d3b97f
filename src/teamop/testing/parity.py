"""Comparing what teamop renders with what the Go operator wrote: settings, not bytes.

An object's spec, or a configuration file, becomes a flat map from a readable location to a value —
`config.Server.Address`, `containers.0.image`, `[Server] Address` — and the two maps are compared location by
location. Differences the caller allows (locations, with `*` wildcards) are passed over; every other one is
reported as `<location>: teamop <value>, reference <value>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

ABSENT = "(absent)"
Settings = dict[str, Any]
"""One file's settings (or one object's spec): a readable location inside it → its value."""


def leaves(value: Any, path: str = "") -> Settings:
    """Location → value of every leaf; list items are located by position. An empty mapping or list is no value:
    the Go operator writes its unset structs as `{}`, which means the same as leaving them out."""
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {} if value is None else {path: value}
    found: Settings = {}
    for key, item in items:
        found.update(leaves(item, f"{path}.{key}" if path else str(key)))
    return found


def ini_settings(text: str, comment_marks: tuple[str, ...] = (";", "#")) -> Settings:
    """`[Section] Key` → its value (a list when the key repeats) of a `Key = Value` file (gcfg, or Workbench's
    `.conf` files, whose comments start with `#` only), and `[Section]` → "present" for every section, so that a
    bare section counts too. A key before any section is located by its name alone. Alignment around `=` is not a
    setting and is ignored."""
    settings: Settings = {}
    section = ""
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.startswith(comment_marks):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            settings[f"[{section}]"] = "present"
            continue
        key, separator, value = line.partition("=")
        assert separator, f"not a `key = value` line: {line!r}"
        location = f"[{section}] {key.strip()}" if section else key.strip()
        previous = settings.get(location)
        value = value.strip()
        settings[location] = value if previous is None else [*(previous if isinstance(previous, list)
                                                              else [previous]), value]
    return settings


def is_allowed(location: str, allowed: Iterable[str]) -> bool:
    """`allowed` holds locations (with `*` wildcards) whose value, or anything under them, may differ."""
    return any(location == pattern or location.startswith((f"{pattern}.", f"{pattern} "))
               or fnmatchcase(location, pattern) or fnmatchcase(location, f"{pattern}.*")
               for pattern in allowed)


def shown(value: Any, limit: int = 100) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def differences(ours: Settings, theirs: Settings, allowed: Iterable[str] = (), prefix: str = "") -> list[str]:
    """Every location whose value differs and is not allowed, described readably; `prefix` places the settings
    inside a larger object (`data.<file>.`), for the allowed locations and the description."""
    allowed = list(allowed)
    found = []
    for location in sorted(set(ours) | set(theirs)):
        mine, reference = ours.get(location, ABSENT), theirs.get(location, ABSENT)
        if mine != reference and not is_allowed(f"{prefix}{location}", allowed):
            found.append(f"{prefix}{location}: teamop {shown(mine)}, reference {shown(reference)}")
    return found
