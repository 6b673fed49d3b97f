"""Saying that an adopted object keeps fields teamop cannot change (COMPAT.md, "Immutable fields of adopted
objects ... a condition explains a difference teamop cannot apply"): a condition on the owner while any such
difference remains, and a Warning Event naming each object and field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from teamop.runtime.conditions import Conditions
from teamop.runtime.manager import Manager

CONDITION = "ImmutableFieldsKept"
REASON = "ImmutableFieldDiffers"


def report_kept_fields(manager: Manager, obj: Mapping[str, Any], conditions: Conditions, kept: Sequence[str]) -> None:
    """Set (or, with nothing kept, remove) the condition, and record the Event, for the applier's `kept` list."""
    if not kept:
        conditions.remove(CONDITION)
        return
    message = "the API server does not allow these fields to change, so they keep their live values: " + "; ".join(kept)
    conditions.set(CONDITION, True, REASON, message)
    manager.events.record(obj, "Warning", REASON, message)
