"""Whether the API server serves a kind (its CRD is installed), asked of discovery and remembered: a kind found
served stays served, a kind found missing is asked about again only after `recheck_seconds`, so that a controller
can ask on every reconcile without a request each time and still notice a CRD installed later.

    served = await served_kinds(manager).served(GVK("example.com", "v1", "Gadget"))
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from teamop.runtime.errors import NoKindMatch
from teamop.runtime.kinds import GVK, KindRegistry

if TYPE_CHECKING:
    from teamop.runtime.manager import Manager

RECHECK_SECONDS = 300.0


class ServedKinds:
    def __init__(self, kinds: KindRegistry, *, recheck_seconds: float = RECHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._kinds = kinds
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._missing_since: dict[GVK, float] = {}  # when discovery last said the kind is not served
        self._served: set[GVK] = set()
        self._locks: dict[GVK, asyncio.Lock] = {}

    async def served(self, gvk: GVK) -> bool:
        """Whether `gvk` is served; callers asking at the same time share one discovery request."""
        if gvk in self._served:
            return True
        async with self._locks.setdefault(gvk, asyncio.Lock()):
            if gvk in self._served:
                return True
            checked = self._missing_since.get(gvk)
            if checked is not None and self._clock() - checked < self._recheck_seconds:
                return False
            try:
                await self._kinds.resolve(gvk)
            except NoKindMatch:
                self._missing_since[gvk] = self._clock()
                return False
            self._served.add(gvk)
            self._missing_since.pop(gvk, None)
            return True


_by_manager: weakref.WeakKeyDictionary[Manager, ServedKinds] = weakref.WeakKeyDictionary()


def served_kinds(manager: Manager) -> ServedKinds:
    """The manager's memo of served kinds (one per manager, shared by its controllers)."""
    memo = _by_manager.get(manager)
    if memo is None:
        memo = _by_manager[manager] = ServedKinds(manager.client.kinds)
    return memo
