"""What `teamop diff` found for a Site, and how it is printed.

    Site orbit (namespace posit-team): 1 to create, 1 to change, 1 to adopt, 1 to delete
      create  ConfigMap orbit-connect
      change  Deployment orbit-connect
                ~ spec.replicas: 3 -> 1
      adopt   Deployment orbit-workbench: fields owned by team-operator
                - spec.template.spec.volumes[name=old]: {"name":"old","emptyDir":{}}  (owned by team-operator)
      delete  ConfigMap orbit-old

Short values are shown, long ones summarised; multi-line texts (configuration files) as the lines that change.
Every printed value goes through a `Redactor`, which replaces any secret value it knows of.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from teamop.diff.fields import ABSENT, REDACTED, FieldChange

Action = Literal["create", "change", "adopt", "delete", "error"]
ACTIONS: tuple[Action, ...] = ("create", "change", "adopt", "delete", "error")
SHORT = 60
"""Values up to this many characters are shown in full."""
MAX_TEXT_LINES = 20
"""Changed lines shown for a multi-line text."""
MAX_LINE = 160
"""Characters shown of one line of a text."""
MIN_SECRET_LENGTH = 6
"""Shorter secret values are too common a text to hide everywhere (`true`, `1`)."""


@dataclass(frozen=True)
class ObjectChange:
    action: Action
    kind: str
    name: str
    namespace: str | None = None
    fields: tuple[FieldChange, ...] = ()
    reason: str = ""
    """Why it is adopted, or why teamop would fail."""


@dataclass
class SiteDiff:
    name: str
    namespace: str
    changes: list[ObjectChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the controllers would report as Warning Events."""

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[Action, int]:
        counts: dict[Action, int] = {}
        for change in self.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
        return counts


class Redactor:
    """Replaces every known secret value (of at least MIN_SECRET_LENGTH characters) in a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for value in secrets:
            for part in {value, *value.splitlines()}:
                if len(part.strip()) >= MIN_SECRET_LENGTH:
                    self._secrets.add(part.strip())

    def scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def summary(diff: SiteDiff) -> str:
    title = f"Site {diff.name} (namespace {diff.namespace})"
    counts = diff.counts()
    if not counts:
        return f"{title}: no changes"
    parts = [f"{counts[action]} {'with errors' if action == 'error' else 'to ' + action}"
             for action in ACTIONS if counts.get(action)]
    return f"{title}: " + ", ".join(parts)


def format_site_diff(diff: SiteDiff, redactor: Redactor) -> str:
    lines = [summary(diff)]
    width = max(len(action) for action in ACTIONS) + 2
    for change in diff.changes:
        target = f"{change.kind} {change.name}"
        if change.namespace and change.namespace != diff.namespace:
            target = f"{change.kind} {change.namespace}/{change.name}"
        lines.append(f"  {change.action:<{width}}{target}" + (f": {change.reason}" if change.reason else ""))
        for item in change.fields:
            lines += ["  " + " " * width + "  " + line for line in field_lines(item)]
    return redactor.scrub("\n".join(lines))


def field_lines(change: FieldChange) -> list[str]:
    """One line per field (`~ path: old -> new`, `+ path: new`, `- path: old`), then a text's changed lines."""
    note = f"  ({change.note})" if change.note else ""
    if change.added:
        return [f"+ {change.path}: {shown(change.new)}{note}"]
    if change.removed:
        return [f"- {change.path}: {shown(change.old)}{note}"]
    if _is_text(change.old) and _is_text(change.new) and (_long(change.old) or _long(change.new)):
        return [f"~ {change.path}:{note}", *_text_lines(change.old, change.new)]
    return [f"~ {change.path}: {shown(change.old)} -> {shown(change.new)}{note}"]


def shown(value: Any) -> str:
    """A value as JSON when short; otherwise what it is (`12 lines`, `{… 4 fields}`)."""
    if value is ABSENT:
        return "(none)"
    if value in (REDACTED, "<generated>"):
        return str(value)
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if len(text) <= SHORT and "\n" not in str(value):
        return text
    if isinstance(value, str):
        count = len(value.splitlines())
        return f"({count} lines)" if count > 1 else f"({len(value)} characters)"
    if isinstance(value, dict):
        return f"{{… {len(value)} fields}}"
    if isinstance(value, list):
        return f"[… {len(value)} items]"
    return text[:SHORT] + "…"


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value not in (REDACTED, "<generated>")


def _long(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value or len(value) > SHORT)


def _text_lines(old: str, new: str) -> list[str]:
    """The lines of two texts that differ (`  -` old, `  +` new), at most MAX_TEXT_LINES."""
    differing = [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
                 if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    shown_lines = [f"  {line[0]} {_clipped(line[1:])}" for line in differing[:MAX_TEXT_LINES]]
    if len(differing) > MAX_TEXT_LINES:
        shown_lines.append(f"  … {len(differing) - MAX_TEXT_LINES} more changed lines")
    return shown_lines


def _clipped(line: str) -> str:
    return line if len(line) <= MAX_LINE else line[:MAX_LINE] + f"… ({len(line)} characters)"
