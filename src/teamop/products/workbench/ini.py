"""Workbench's configuration file formats: `key=value` lines, optionally in `[section]`s.

A file's layout is a list of `Key`s in the order they are written. The value rules are those the Go operator's
files follow, so that a Workbench CR renders to the same files under either operator:
- an `int` key is always written, `0` when unset (so `auth-openid=0` states the default explicitly); a `bool`
  key likewise, `true`/`false`;
- a `str` key is written only when it is non-empty;
- a `list` key is joined with its separator and written when the result is non-empty, or always when the file
  says `write_empty_lists` (the session files do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

KeyKind = Literal["int", "bool", "str", "list"]


@dataclass(frozen=True)
class Key:
    name: str
    kind: KeyKind = "str"
    separator: str = ","


def ints(*names: str) -> tuple[Key, ...]:
    return tuple(Key(name, "int") for name in names)


def strs(*names: str) -> tuple[Key, ...]:
    return tuple(Key(name, "str") for name in names)


def _format_value(key: Key, value: Any, *, write_empty_lists: bool) -> str | None:
    if key.kind == "int":
        return str(int(value)) if value is not None else "0"
    if key.kind == "bool":
        return "true" if value else "false"
    if key.kind == "list":
        items = [str(item) for item in (value or []) if str(item) != ""]
        joined = key.separator.join(items)
        return joined if joined or write_empty_lists else None
    text = "" if value is None else str(value)
    return text or None


def lines(values: Mapping[str, Any], layout: Sequence[Key], *, write_empty_lists: bool = False) -> list[str]:
    """`key=value` lines of `values` in layout order; keys not in the layout are an error (they would be lost)."""
    unknown = set(values) - {key.name for key in layout}
    if unknown:
        raise ValueError(f"no layout for keys {sorted(unknown)}")
    out: list[str] = []
    for key in layout:
        text = _format_value(key, values.get(key.name), write_empty_lists=write_empty_lists)
        if text is not None:
            out.append(f"{key.name}={text}")
    return out


def flat_file(values: Mapping[str, Any], layout: Sequence[Key], *, write_empty_lists: bool = False) -> str:
    """A file without sections."""
    text = "".join(f"{line}\n" for line in lines(values, layout, write_empty_lists=write_empty_lists))
    return _with_final_newline(text)


def sectioned_file(sections: Iterable[tuple[str, Mapping[str, Any], Sequence[Key]]]) -> str:
    """A file of `[section]`s, each preceded by a blank line (as the reference writes them)."""
    text = ""
    for name, values, layout in sections:
        text += f"\n[{name}]\n" + "".join(f"{line}\n" for line in lines(values, layout))
    return _with_final_newline(text)


def _with_final_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
