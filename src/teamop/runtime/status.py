"""Write an object's status through the status subresource, and only when it changed.

The new status is compared with the cached object's (or, while the cache has not caught up with our last write,
with what that write returned). A write is a server-side apply on `/status` by our field manager, so status
fields we stop setting are removed as well.

Status fields a previous operator wrote with Update (`take_over_managers`, see `takeover`) are first taken over,
once per object, so that this write removes those we do not set (the predecessor's entries count as a difference).
In a reconcile a periodic resync started (`resync.forced()`), the status is written whatever the comparison says.

With `coalesce_seconds`, a status that says its object is not ready yet (`ready` not true) is written at most once
per window while a controller reconciles the object: a write within the window is held back (`heldback`) and the
controller comes back for it when the window ends. The first window (`coalesce_seconds` long) starts when the
writer first sees the object, so an object that turns ready within it gets one status write, not two; each
not-ready write opens a window twice as long as the last, up to 4 x `coalesce_seconds`, and a ready write brings it
back to `coalesce_seconds`. A ready status and a forced one are written at once, so what a user waits for is never
delayed.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Collection, Hashable, Mapping
from typing import Any

import structlog

from teamop.runtime import heldback, resync
from teamop.runtime.client import Client
from teamop.runtime.converged import why_apply
from teamop.runtime.kinds import gvk_of
from teamop.runtime.ownership import describe
from teamop.runtime.takeover import has_fields_to_take_over, take_over
from teamop.runtime.writememo import WriteMemo

log = structlog.get_logger(__name__)

_MAX_REMEMBERED_WRITES = 20000


def status_differs(
    live: Mapping[str, Any], status: Mapping[str, Any], field_manager: str, take_over_managers: Collection[str] = ()
) -> bool:
    """Whether writing `status` would change `live`: a field differs or is not ours (see `converged`), we own one we
    no longer set, or a previous operator owns some."""
    return why_apply({"status": dict(status)}, live, field_manager, take_over_managers, "status") is not None


class StatusWriter:
    def __init__(
        self, client: Client, *, field_manager: str | None = None, take_over_managers: Collection[str] = (),
        coalesce_seconds: float = 0.0,
    ) -> None:
        self.client = client
        self.field_manager = field_manager or client.field_manager
        self.take_over_managers = tuple(take_over_managers)
        self.coalesce_seconds = coalesce_seconds
        self._memo = WriteMemo()
        # Per object: when its window started (the last write, or the first sight) and how long it is.
        self._windows: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    async def update(self, obj: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
        """Make `obj`'s status `status` (`obj` as read from the cache). True when a write was made."""
        metadata = obj["metadata"]
        key = (gvk_of(obj), metadata.get("namespace"), metadata["name"], "status")
        live = self._memo.current(key, obj) or obj
        if not status_differs(live, status, self.field_manager, self.take_over_managers) and not resync.forced():
            return False
        if self._held_back(key, status):
            return False
        taken: list[Mapping[str, Any]] = []
        if has_fields_to_take_over(live, self.take_over_managers, "status"):
            taken = await take_over(self.client, live, self.take_over_managers, self.field_manager, "status")
        body: dict[str, Any] = {
            "apiVersion": obj["apiVersion"],
            "kind": obj["kind"],
            "metadata": {"name": metadata["name"], **({"namespace": metadata["namespace"]}
                                                      if metadata.get("namespace") else {})},
            "status": dict(status),
        }
        written = await self.client.apply(body, force=True, subresource="status")
        self._memo.remember(key, obj, written, passed=taken)
        if self.coalesce_seconds:
            last = self._windows.get(key, (0.0, self.coalesce_seconds / 2))[1]
            ready = status.get("ready") is True
            self._open_window(key, self.coalesce_seconds if ready else min(2 * last, 4 * self.coalesce_seconds))
        log.debug("status written", object=describe(obj))
        return True

    def _held_back(self, key: Hashable, status: Mapping[str, Any]) -> bool:
        """Whether this not-ready status is held back: the object was first seen, or its status last written,
        within the window."""
        if not self.coalesce_seconds or status.get("ready") is True or resync.forced():
            return False
        window = self._windows.get(key) or self._open_window(key, self.coalesce_seconds)
        wait = window[0] + window[1] - time.monotonic()
        return wait > 0 and heldback.hold_back(wait)

    def _open_window(self, key: Hashable, seconds: float) -> tuple[float, float]:
        window = self._windows[key] = (time.monotonic(), seconds)
        self._windows.move_to_end(key)
        while len(self._windows) > _MAX_REMEMBERED_WRITES:
            self._windows.popitem(last=False)
        return window
