"""gcfg (Go config, the git-config-like INI format of Connect, Package Manager and Chronicle): build and write.

Interface (stable):

- `Gcfg(section_order=..., key_order=...)` — an ordered document. `section_order` lists section titles (e.g.
  `"Server"`, `'RPackageRepository "CRAN"'`) in the order they are written; `key_order` maps a section title to
  its keys' order. Sections and keys not listed follow in the order they were first set. The orders make the
  output independent of the order in which defaults, user overrides and operator-managed values are merged.
- `doc.set(section, key, value)`; `doc.merge({section: {key: value}})` — later values replace earlier ones;
  `None` removes nothing and sets nothing (an unset field); `doc.section(title)` makes a section exist even
  when empty (written as a bare `[Title]`).
- `doc.render()` — the file text: each section as `\\n[Title]\\n` followed by `Key = value` lines; booleans as
  `true`/`false`; a list as the key repeated once per element (gcfg's multi-valued variables); strings quoted
  only when gcfg would otherwise misread them (comment characters, quotes, backslashes, edge spaces, newlines).
- `subsection(name, sub)` — the title `name "sub"`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Union

Scalar = str | int | float | bool
GcfgValue = Union[Scalar, Sequence[Scalar], None]  # noqa: UP007 - a type alias needs Union with Sequence


def subsection(name: str, sub: str) -> str:
    escaped = sub.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name} "{escaped}"'


def format_scalar(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _quote_if_needed(value)


def _quote_if_needed(text: str) -> str:
    needs_quotes = (
        text != text.strip()
        or any(char in text for char in ';#"\\\n\t')
    )
    if not needs_quotes:
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


class Gcfg:
    """An ordered gcfg document."""

    def __init__(
        self,
        section_order: Sequence[str] = (),
        key_order: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._section_order = list(section_order)
        self._key_order = {title: list(keys) for title, keys in (key_order or {}).items()}
        self._sections: dict[str, dict[str, GcfgValue]] = {}

    def section(self, title: str) -> dict[str, GcfgValue]:
        return self._sections.setdefault(title, {})

    def set(self, title: str, key: str, value: GcfgValue) -> None:
        if value is None:
            return
        self.section(title)[key] = value

    def get(self, title: str, key: str) -> GcfgValue:
        return self._sections.get(title, {}).get(key)

    def remove_section(self, title: str) -> None:
        self._sections.pop(title, None)

    def merge(self, sections: Mapping[str, Mapping[str, GcfgValue]]) -> None:
        for title, values in sections.items():
            self.section(title)
            for key, value in values.items():
                self.set(title, key, value)

    def titles(self) -> list[str]:
        return _ordered(list(self._sections), self._section_order)

    def render(self) -> str:
        lines: list[str] = []
        for title in self.titles():
            lines.append("")
            lines.append(f"[{title}]")
            values = self._sections[title]
            for key in _ordered(list(values), self._key_order.get(title, ())):
                lines.extend(_value_lines(key, values[key]))
        return "\n".join(lines) + "\n" if lines else ""


def _ordered(names: list[str], order: Sequence[str]) -> list[str]:
    rank = {name: index for index, name in enumerate(order)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), names.index(name)))


def _value_lines(key: str, value: GcfgValue) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int | float | bool):
        return [f"{key} = {format_scalar(value)}"]
    return [f"{key} = {format_scalar(item)}" for item in value]
