"""Comparing what teamop renders for a Site with what the Go operator wrote for it: settings, not bytes.

An object's spec, or a gcfg file, becomes a flat map from a readable location to a value — `config.Server.Address`,
`containers.0.image`, `[Server] Address` — and the two maps are compared location by location. Differences listed
in `teamop.products.site.differences` are allowed; every other one is reported as
`<location>: teamop <value>, reference <value>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

REFERENCE = Path(__file__).parents[2] / "reference" / "rendered"
REFERENCE_OBJECTS = REFERENCE / "test_site"
ABSENT = "(absent)"
Settings = dict[str, Any]


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


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


def gcfg_settings(text: str) -> Settings:
    """`[Section] Key` → its value (a list when the key repeats), and `[Section]` → "present" for every section,
    so that a bare section counts too."""
    settings: Settings = {}
    section = ""
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            settings[f"[{section}]"] = "present"
            continue
        key, separator, value = line.partition("=")
        assert separator, f"not a `key = value` line: {line!r}"
        location = f"[{section}] {key.strip()}"
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
    """Every location whose value differs and is not allowed, described readably."""
    allowed = list(allowed)
    found = []
    for location in sorted(set(ours) | set(theirs)):
        mine, reference = ours.get(location, ABSENT), theirs.get(location, ABSENT)
        if mine != reference and not is_allowed(f"{prefix}{location}", allowed):
            found.append(f"{prefix}{location}: teamop {shown(mine)}, reference {shown(reference)}")
    return found
