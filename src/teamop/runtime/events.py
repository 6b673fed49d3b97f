"""Kubernetes Events (`events.k8s.io/v1`) about the objects the engine reconciles.

- De-duplication: the same type/reason/note on the same object within `window` seconds is one Event whose
  `series` (count, lastObservedTime) is bumped — at most once per `series_interval`, the rest only counted locally.
- Rate limit: a token bucket per object (burst 25, one token per 5 minutes, as client-go's event correlator), so
  a crash-looping reconcile cannot flood the API server. Events over the limit are dropped.
- Writing never blocks or fails the caller: `record` schedules the write and logs failures. `flush()` waits for
  pending writes (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from teamop.runtime.client import Client
from teamop.runtime.errors import ApiError, NotFound
from teamop.runtime.kinds import GVK
from teamop.runtime.ratelimiter import BucketRateLimiter

log = structlog.get_logger(__name__)

EVENT_GVK = GVK("events.k8s.io", "v1", "Event")
EventType = Literal["Normal", "Warning"]

_MAX_TRACKED = 4096


def micro_time(at: float | None = None) -> str:
    moment = dt.datetime.fromtimestamp(at if at is not None else time.time(), dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _Series:
    event_name: str
    namespace: str
    count: int
    first_seen: float
    last_written: float
    written_count: int


class EventRecorder:
    def __init__(
        self,
        client: Client,
        *,
        controller: str = "team-operator",
        instance: str | None = None,
        window: float = 600.0,
        series_interval: float = 30.0,
        burst: int = 25,
        refill_per_second: float = 1 / 300,
    ) -> None:
        self.client = client
        self.controller = controller
        self.instance = instance or socket.gethostname()
        self.window = window
        self.series_interval = series_interval
        self.burst = burst
        self.refill_per_second = refill_per_second
        self._series: OrderedDict[tuple[str, ...], _Series] = OrderedDict()
        self._buckets: OrderedDict[str, BucketRateLimiter] = OrderedDict()
        self._pending: set[asyncio.Task[None]] = set()
        self.dropped = 0

    def record(
        self, obj: Mapping[str, Any], type_: EventType, reason: str, note: str, *, action: str = "Reconcile"
    ) -> None:
        """Record an Event about `obj` (no-op outside an event loop)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        metadata = obj.get("metadata") or {}
        uid = str(metadata.get("uid", ""))
        key = (uid, type_, reason, note)
        now = time.monotonic()
        series = self._series.get(key)
        if series is not None and now - series.first_seen < self.window:
            series.count += 1
            if now - series.last_written < self.series_interval:
                return
            series.last_written = now
            self._spawn(loop, self._bump_series(series))
            return
        if not self._allowed(uid):
            self.dropped += 1
            log.debug("event dropped by rate limit", reason=reason, object=metadata.get("name"))
            return
        namespace = metadata.get("namespace") or "default"
        name = f"{metadata.get('name', 'object')}.{uuid.uuid4().hex[:16]}"
        self._series[key] = _Series(name, namespace, 1, now, now, 1)
        while len(self._series) > _MAX_TRACKED:
            self._series.popitem(last=False)
        self._spawn(loop, self._create(obj, name, namespace, type_, reason, note, action))

    async def flush(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def _allowed(self, uid: str) -> bool:
        bucket = self._buckets.get(uid)
        if bucket is None:
            bucket = BucketRateLimiter(self.refill_per_second, self.burst)
            self._buckets[uid] = bucket
            while len(self._buckets) > _MAX_TRACKED:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(uid)
        if bucket.when(uid) > 0:
            bucket.give_back()
            return False
        return True

    def _spawn(self, loop: asyncio.AbstractEventLoop, write: Any) -> None:
        task = loop.create_task(write)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _create(
        self, obj: Mapping[str, Any], name: str, namespace: str, type_: str, reason: str, note: str, action: str
    ) -> None:
        metadata = obj.get("metadata") or {}
        regarding = {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": metadata.get("name"),
            "uid": metadata.get("uid"),
            **({"namespace": metadata["namespace"]} if metadata.get("namespace") else {}),
            **({"resourceVersion": metadata["resourceVersion"]} if metadata.get("resourceVersion") else {}),
        }
        event = {
            "apiVersion": EVENT_GVK.api_version,
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "eventTime": micro_time(),
            "reportingController": self.controller,
            "reportingInstance": self.instance,
            "action": action,
            "reason": reason,
            "note": note[:1024],
            "type": type_,
            "regarding": regarding,
        }
        try:
            await self.client.create(event)
        except ApiError as error:
            log.warning("could not record event", reason=reason, object=metadata.get("name"), error=str(error))

    async def _bump_series(self, series: _Series) -> None:
        if series.count == series.written_count:
            return
        series.written_count = series.count
        patch = {"series": {"count": series.count, "lastObservedTime": micro_time()}}
        try:
            await self.client.patch(EVENT_GVK, series.event_name, series.namespace, patch, patch_type="merge")
        except NotFound:
            pass
        except ApiError as error:
            log.warning("could not update event series", event=series.event_name, error=str(error))
