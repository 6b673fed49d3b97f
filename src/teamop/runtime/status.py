"""Write an object's status through the status subresource, and only when it changed.

The new status is compared with the cached object's (or, while the cache has not caught up with our last write,
with what that write returned). A write is a server-side apply on `/status` by our field manager, so status
fields we stop setting are removed as well.

Status fields a previous operator wrote with Update (`take_over_managers`, see `takeover`) are first taken over,
once per object, so that this write removes those we do not set (the predecessor's entries count as a difference).
In a reconcile a periodic resync started (`resync.forced()`), the status is written whatever the comparison says.

With `coalesce_seconds`, a status that says its object is not ready yet (`ready` not true) is written at most once
per window while a controller reconciles the object: a write within the window is held back (`heldback`) and the
controller comes back for it when the window ends. A window (`coalesce_seconds` long) starts when the writer first
sees a not-ready change with no window open: when it first sees the object, and again at the first change after a
quiet spell; so a not-ready status superseded within `coalesce_seconds` (an object that turns ready, a pod problem
that clears as the workload's status catches up) is never written, and one that stays is written `coalesce_seconds`
after it was first seen. Each not-ready write opens a window twice as long as the last, up to 4 x
`coalesce_seconds`, and a ready write brings it back to `coalesce_seconds`. A ready status and a forced one are
written at once, so what a user waits for is never delayed.

A condition whose status is the one last written keeps the `lastTransitionTime` last written: a reconcile that
read its object from a cache not yet showing our last write computes the same conditions with a later time, and
rewriting them would tell nothing new.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Collection, Hashable, Mapping
from typing import Any, NamedTuple

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


def keep_transition_times(status: Mapping[str, Any], live: Mapping[str, Any] | None) -> dict[str, Any]:
    """`status` with each condition whose status equals `live`'s taking `live`'s `lastTransitionTime`."""
    written = {c.get("type"): c for c in (live or {}).get("conditions") or [] if isinstance(c, Mapping)}
    conditions = status.get("conditions")
    if not written or not isinstance(conditions, list):
        return dict(status)
    kept = []
    for condition in conditions:
        before = written.get(condition.get("type")) if isinstance(condition, Mapping) else None
        if (before is not None and before.get("status") == condition.get("status")
                and before.get("lastTransitionTime")):
            condition = {**condition, "lastTransitionTime": before["lastTransitionTime"]}
        kept.append(condition)
    return {**status, "conditions": kept}


class _Window(NamedTuple):
    """When an object's window started, how long it is, how long the last write made it (the next write doubles
    that), and whether a not-ready change is held back in it."""

    start: float
    seconds: float
    step: float
    pending: bool

    def left(self, now: float) -> float:
        return self.start + self.seconds - now


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
        # Per object: its window (opened by the last write, or by the first not-ready change seen without one).
        self._windows: OrderedDict[Hashable, _Window] = OrderedDict()

    async def update(self, obj: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
        """Make `obj`'s status `status` (`obj` as read from the cache). True when a write was made."""
        metadata = obj["metadata"]
        key = (gvk_of(obj), metadata.get("namespace"), metadata["name"], "status")
        live = self._memo.current(key, obj) or obj
        status = keep_transition_times(status, live.get("status"))
        why = why_apply({"status": status}, live, self.field_manager, self.take_over_managers, "status")
        if why is None and not resync.forced():
            self._settled(key)
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
            window = self._windows.get(key)
            step = self.coalesce_seconds if status.get("ready") is True else min(
                2 * (window.step if window else self.coalesce_seconds / 2), 4 * self.coalesce_seconds)
            self._open_window(key, step, step)
        log.debug("status written", object=describe(obj), why=why or "forced")
        return True

    def _held_back(self, key: Hashable, status: Mapping[str, Any]) -> bool:
        """Whether this not-ready status is held back: it differs from the last written within a window, or it is
        the first change seen since the last window ended (a window opens for it)."""
        if not self.coalesce_seconds or status.get("ready") is True or resync.forced():
            return False
        now = time.monotonic()
        window = self._windows.get(key)
        if window is None or (window.left(now) <= 0 and not window.pending):
            step = window.step if window else self.coalesce_seconds
            window = self._open_window(key, self.coalesce_seconds, step, now=now)
        wait = window.left(now)
        if wait <= 0:  # the change was held back for the whole window: write it
            return False
        self._windows[key] = window._replace(pending=True)
        return heldback.hold_back(wait)

    def _settled(self, key: Hashable) -> None:
        """The status is as last written: a change held back before is moot."""
        window = self._windows.get(key)
        if window is not None and window.pending:
            self._windows[key] = window._replace(pending=False)

    def _open_window(self, key: Hashable, seconds: float, step: float, *, now: float | None = None) -> _Window:
        window = self._windows[key] = _Window(time.monotonic() if now is None else now, seconds, step, False)
        self._windows.move_to_end(key)
        while len(self._windows) > _MAX_REMEMBERED_WRITES:
            self._windows.popitem(last=False)
        return window
