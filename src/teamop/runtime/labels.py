"""Label selectors in the API server's string syntax, matched locally against cached objects.

Grammar: comma-separated requirements, each `key`, `!key`, `key=value`, `key==value`, `key!=value`,
`key in (a,b)` or `key notin (a,b)`. As on the server, `!=` and `notin` also match objects without the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

_SET_RE = re.compile(r"^\s*(!?)\s*([^\s!=,()]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([^\s!=,()]+)\s*(==|=|!=)\s*([^\s!=,()]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([^\s!=,()]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "exists":
            return self.key in labels
        if self.operator == "!exists":
            return self.key not in labels
        if self.operator == "in":
            return self.key in labels and labels[self.key] in self.values
        return self.key not in labels or labels[self.key] not in self.values


@dataclass(frozen=True)
class Selector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def equality_terms(self) -> dict[str, str]:
        """The `key=value` requirements, which an index can answer."""
        return {r.key: next(iter(r.values)) for r in self.requirements if r.operator == "in" and len(r.values) == 1}


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


@lru_cache(maxsize=256)
def parse_selector(text: str | None) -> Selector:
    if not text or not text.strip():
        return Selector(())
    requirements = []
    for part in _split(text):
        if m := _SET_RE.match(part):
            if m.group(1):
                raise ValueError(f"invalid label selector {text!r}")
            values = frozenset(v.strip() for v in m.group(4).split(",") if v.strip())
            requirements.append(Requirement(m.group(2), m.group(3), values))
        elif m := _EQ_RE.match(part):
            requirements.append(Requirement(m.group(1), "notin" if m.group(2) == "!=" else "in",
                                            frozenset({m.group(3)})))
        elif m := _EXISTS_RE.match(part):
            requirements.append(Requirement(m.group(2), "!exists" if m.group(1) else "exists"))
        else:
            raise ValueError(f"invalid label selector {text!r}")
    return Selector(tuple(requirements))
