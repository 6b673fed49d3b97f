"""The periodic resync, the safety net under the skip decision.

Every `--resync-period` (default 10 h, as controller-runtime's SyncPeriod, each wait jittered by ±10 % so that
controllers and replicas do not fire together) each controller reconciles every primary object again, and that
reconcile makes every write it would otherwise skip: the applier applies each child and the status writer writes
the status whatever the cache says. Whatever drift the comparison misses (a field the server stores differently
from how teamop renders it, a cache that missed an event) is undone within one period. An apply that changes
nothing costs one request and no new resourceVersion.

The controller marks the reconciles that a resync started (`forcing`); the writers ask `forced()`. A context
variable carries the mark, so it reaches every task the reconcile starts and nothing else.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from contextvars import ContextVar

DEFAULT_PERIOD = 10 * 3600.0
JITTER = 0.1

_forced: ContextVar[bool] = ContextVar("teamop_resync_forced", default=False)


def forced() -> bool:
    """Whether the running reconcile was started by a forced resync (every write is made)."""
    return _forced.get()


@contextlib.contextmanager
def forcing(on: bool = True) -> Iterator[None]:
    token = _forced.set(on)
    try:
        yield
    finally:
        _forced.reset(token)


def jittered(period: float, jitter: float = JITTER) -> float:
    """`period` moved by up to ±`jitter` of itself, at random."""
    return period * random.uniform(1 - jitter, 1 + jitter)
