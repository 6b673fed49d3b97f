"""Writes a reconcile held back, and when to come back for them.

A status that keeps changing while its object converges (a Site while its five products come up) need not be
written on every change: the status writer may hold a write back for a moment, and the controller then reconciles
the key again once that moment has passed (or earlier, when a watch event brings it back), writing the status of
that time: several changes cost one write. Only a reconcile run by a controller can be held back (`collecting`);
anywhere else every write is made at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class HeldBack:
    """The soonest moment, in seconds from when it was recorded, at which a held-back write may be made."""

    seconds: float | None = None


_current: ContextVar[HeldBack | None] = ContextVar("teamop_held_back", default=None)


@contextmanager
def collecting() -> Iterator[HeldBack]:
    """Around one reconcile: writes held back within it are recorded on the yielded object (tasks the reconcile
    starts share it)."""
    held = HeldBack()
    token = _current.set(held)
    try:
        yield held
    finally:
        _current.reset(token)


def hold_back(seconds: float) -> bool:
    """Ask to be reconciled again in `seconds` instead of writing now; False outside `collecting` (write now)."""
    held = _current.get()
    if held is None:
        return False
    held.seconds = seconds if held.seconds is None else min(held.seconds, seconds)
    return True
