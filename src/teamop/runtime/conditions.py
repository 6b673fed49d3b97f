"""`status.conditions` with metav1.Condition semantics: one entry per type, `lastTransitionTime` changed only
when `status` flips, `observedGeneration` the generation the condition was computed from.

The functions are pure: they return new lists and never change the conditions they are given (which usually
come from the shared cache).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

ConditionStatus = Literal["True", "False", "Unknown"]

READY = "Ready"


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_condition(conditions: Sequence[Mapping[str, Any]] | None, type_: str) -> Mapping[str, Any] | None:
    for condition in conditions or ():
        if condition.get("type") == type_:
            return condition
    return None


def is_true(conditions: Sequence[Mapping[str, Any]] | None, type_: str) -> bool:
    condition = find_condition(conditions, type_)
    return condition is not None and condition.get("status") == "True"


def set_condition(
    conditions: Sequence[Mapping[str, Any]] | None,
    type_: str,
    status: ConditionStatus | bool,
    reason: str,
    message: str = "",
    *,
    observed_generation: int | None = None,
    now: str | None = None,
) -> list[dict[str, Any]]:
    """A copy of `conditions` with `type_` set; other conditions keep their order and values."""
    status_text: str = ("True" if status else "False") if isinstance(status, bool) else status
    result: list[dict[str, Any]] = []
    replaced = False
    for condition in conditions or ():
        if condition.get("type") != type_:
            result.append(dict(condition))
            continue
        replaced = True
        updated = dict(condition)
        if condition.get("status") != status_text or not condition.get("lastTransitionTime"):
            updated["lastTransitionTime"] = now or now_rfc3339()
        updated.update(status=status_text, reason=reason, message=message)
        if observed_generation is not None:
            updated["observedGeneration"] = observed_generation
        result.append(updated)
    if not replaced:
        added: dict[str, Any] = {
            "type": type_,
            "status": status_text,
            "reason": reason,
            "message": message,
            "lastTransitionTime": now or now_rfc3339(),
        }
        if observed_generation is not None:
            added["observedGeneration"] = observed_generation
        result.append(added)
    return result


def remove_condition(conditions: Sequence[Mapping[str, Any]] | None, type_: str) -> list[dict[str, Any]]:
    return [dict(c) for c in conditions or () if c.get("type") != type_]


class Conditions:
    """Builds an object's next conditions from its current ones: `set(...)` as often as needed, then `.items`."""

    def __init__(self, current: Sequence[Mapping[str, Any]] | None, *, observed_generation: int | None) -> None:
        self.items: list[dict[str, Any]] = [dict(c) for c in current or ()]
        self.observed_generation = observed_generation

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Conditions:
        status = obj.get("status") or {}
        generation = (obj.get("metadata") or {}).get("generation")
        return cls(status.get("conditions"), observed_generation=generation)

    def set(self, type_: str, status: ConditionStatus | bool, reason: str, message: str = "") -> Conditions:
        self.items = set_condition(
            self.items, type_, status, reason, message, observed_generation=self.observed_generation
        )
        return self

    def remove(self, type_: str) -> Conditions:
        self.items = remove_condition(self.items, type_)
        return self

    def is_true(self, type_: str) -> bool:
        return is_true(self.items, type_)
