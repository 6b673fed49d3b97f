"""Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection package does it.

- A candidate tries every `retry_period` to take the Lease: it may when the Lease does not exist, has no holder, or
  its holder has not renewed it for `lease_duration` — measured on *our* clock from when we last saw the record
  change, so clock skew between machines does not matter.
- The leader renews every `retry_period`; if it cannot renew for `renew_deadline`, it has lost the lease and must
  stop at once (`hold` returns), before another candidate may take over (lease_duration > renew_deadline). A
  leader that reads another holder on the Lease has lost it at that moment (client-go would go on until the
  renew deadline).
- `on_lost` callbacks run the moment the loss is observed, before `hold` returns, in the elector's thread.
- `release` on a graceful stop empties the holder (and shortens the lease to 1 s), so a standby takes over at
  its next try instead of waiting for the lease to expire.
Writes use the Lease's resourceVersion: two candidates racing for it cannot both win.

`ElectionThread` runs an elector in a thread of its own, with its own event loop and its own client (its own
connection, no client-side throttle): a renewal never waits for the operator's requests, its token bucket or a
busy event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog

from teamop.runtime import metrics
from teamop.runtime.client import Client
from teamop.runtime.errors import AlreadyExists, ApiError, NotFound
from teamop.runtime.kinds import GVK

log = structlog.get_logger(__name__)

LEASE_GVK = GVK("coordination.k8s.io", "v1", "Lease")


def _micro_time(moment: dt.datetime | None = None) -> str:
    return (moment or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_identity() -> str:
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


class LeaderElector:
    def __init__(
        self,
        client: Client,
        *,
        lease_name: str,
        lease_namespace: str,
        identity: str | None = None,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
    ) -> None:
        if not lease_duration > renew_deadline > retry_period > 0:
            raise ValueError("need lease_duration > renew_deadline > retry_period > 0")
        self.client = client
        self.lease_name = lease_name
        self.lease_namespace = lease_namespace
        self.identity = identity or default_identity()
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._observed: Mapping[str, Any] | None = None
        self._observed_at = 0.0
        self._leading = False
        self._taken_by: str | None = None
        self.on_lost: list[Callable[[str], None]] = []
        self._status = metrics.leader_election_master_status.labels(lease_name)
        self._status.set(0)
        self._log = log.bind(lease=f"{lease_namespace}/{lease_name}", identity=self.identity)

    @property
    def is_leader(self) -> bool:
        return self._leading

    @property
    def observed_holder(self) -> str | None:
        if self._observed is None:
            return None
        return (self._observed.get("spec") or {}).get("holderIdentity") or None

    async def acquire(self) -> None:
        """Return once we hold the lease (tries every retry_period, with jitter)."""
        self._log.info("waiting for leadership")
        while True:
            if await self._try_acquire_or_renew():
                break
            await asyncio.sleep(self.retry_period * random.uniform(1.0, 1.2))
        self._taken_by = None
        self._set_leading(True)
        self._log.info("became leader")

    async def hold(self) -> None:
        """Renew the lease until another holder appears on it or renewal fails for renew_deadline; returns when
        leadership is lost, after the `on_lost` callbacks ran."""
        last_renewed = time.monotonic()
        while True:
            await asyncio.sleep(self.retry_period)
            if await self._try_acquire_or_renew():
                last_renewed = time.monotonic()
                continue
            if self._taken_by is not None:
                self._lose(f"the lease is held by {self._taken_by}")
                return
            if time.monotonic() - last_renewed >= self.renew_deadline:
                self._lose("lease not renewed within the renew deadline")
                return

    def _lose(self, reason: str) -> None:
        for callback in self.on_lost:
            callback(reason)
        self._set_leading(False)
        self._log.error("leadership lost", reason=reason)

    async def release(self) -> None:
        """Give the lease up (graceful stop), so a standby takes it at its next try."""
        if not self._leading:
            return
        self._set_leading(False)
        lease = self._observed
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
            return
        now = _micro_time()
        released = {
            **lease,
            "spec": {
                **(lease.get("spec") or {}),
                "holderIdentity": None,
                "leaseDurationSeconds": 1,
                "renewTime": now,
                "acquireTime": now,
            },
        }
        try:
            await asyncio.wait_for(self.client.replace(released), self.retry_period)
            self._log.info("released leadership")
        except (ApiError, TimeoutError) as error:
            self._log.warning("could not release the lease", error=str(error))

    def _set_leading(self, leading: bool) -> None:
        self._leading = leading
        self._status.set(1 if leading else 0)

    def _observe(self, lease: Mapping[str, Any]) -> None:
        previous = self._observed
        if previous is None or (previous.get("metadata") or {}).get("resourceVersion") != (
            lease.get("metadata") or {}
        ).get("resourceVersion"):
            self._observed_at = time.monotonic()
        self._observed = lease

    async def _try_acquire_or_renew(self) -> bool:
        try:
            return await asyncio.wait_for(self._attempt(), self.renew_deadline)
        except (ApiError, TimeoutError, OSError) as error:
            self._log.debug("lease attempt failed", error=str(error))
            return False

    async def _attempt(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        try:
            lease = await self.client.get(LEASE_GVK, self.lease_name, self.lease_namespace)
        except NotFound:
            return await self._create(now)
        self._observe(lease)
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        duration = float(spec.get("leaseDurationSeconds") or self.lease_duration)
        if holder and holder != self.identity:
            if self._leading:  # someone took it from us: whatever its duration, we are no longer the leader
                self._taken_by = holder
                return False
            if time.monotonic() - self._observed_at < duration:
                return False
        transitions = int(spec.get("leaseTransitions") or 0)
        new_spec = {
            **spec,
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.lease_duration),
            "renewTime": _micro_time(now),
        }
        if holder != self.identity:
            new_spec["acquireTime"] = _micro_time(now)
            new_spec["leaseTransitions"] = transitions + 1
        updated = await self.client.replace({**lease, "spec": new_spec})
        self._observe(updated)
        return True

    async def _create(self, now: dt.datetime) -> bool:
        lease = {
            "apiVersion": LEASE_GVK.api_version,
            "kind": "Lease",
            "metadata": {"name": self.lease_name, "namespace": self.lease_namespace},
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": int(self.lease_duration),
                "acquireTime": _micro_time(now),
                "renewTime": _micro_time(now),
                "leaseTransitions": 0,
            },
        }
        try:
            created = await self.client.create(lease)
        except AlreadyExists:
            return False
        self._observe(created)
        return True


class ElectionThread:
    """Runs `elector` in a thread of its own, with an event loop and a client (`Client.detached`) of its own.

    From the caller's event loop: `start()`, then `await acquired()` (we lead), `await lost()` (we no longer do;
    the elector's `on_lost` callbacks have already run, in the election thread), and `await stop(release=...)`.
    """

    def __init__(self, elector: LeaderElector, *, join_timeout: float = 10.0) -> None:
        self.elector = elector
        self.join_timeout = join_timeout
        self._thread: threading.Thread | None = None
        self._caller: asyncio.AbstractEventLoop | None = None
        self._acquired: asyncio.Future[None] | None = None
        self._lost: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._release = False
        self._ready = threading.Event()

    def start(self) -> None:
        """Start the thread; call from the event loop that will await `acquired` and `lost`."""
        if self._thread is not None:
            return
        self._caller = asyncio.get_running_loop()
        self._acquired = self._caller.create_future()
        self._lost = self._caller.create_future()
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._main(),), name=f"leader election {self.elector.lease_name}", daemon=True
        )
        self._thread.start()

    async def acquired(self) -> None:
        assert self._acquired is not None, "start() first"
        await asyncio.shield(self._acquired)

    async def lost(self) -> None:
        assert self._lost is not None, "start() first"
        await asyncio.shield(self._lost)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    async def stop(self, *, release: bool) -> None:
        """End the election (giving the lease up first when `release` and we lead) and wait for the thread."""
        thread = self._thread
        if thread is None:
            return
        self._release = release
        await asyncio.to_thread(self._ready.wait, self.join_timeout)
        if self._loop is not None and self._stopping is not None and thread.is_alive():
            with _loop_closed_ok():
                self._loop.call_soon_threadsafe(self._stopping.set)
        await asyncio.to_thread(thread.join, self.join_timeout)
        self._thread = None

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._ready.set()
        client = self.elector.client.detached()
        self.elector.client = client
        try:
            if not await self._unless_stopping(self.elector.acquire()):
                return
            self._tell(self._acquired)
            if await self._unless_stopping(self.elector.hold()):
                self._tell(self._lost)
                return
            if self._release:
                await self.elector.release()
        except Exception as error:
            log.exception("leader election failed")
            if self.elector.is_leader:  # nobody renews the lease any more
                self.elector._lose(f"leader election failed: {type(error).__name__}: {error}")
            self._tell(self._acquired, error)
            self._tell(self._lost, error)
        finally:
            await client.close()

    async def _unless_stopping(self, work: Awaitable[None]) -> bool:
        """Run `work` to its end (True), or until a stop is asked for (then cancel it, False)."""
        assert self._stopping is not None
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if task.done():
            task.result()
            return True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False

    def _tell(self, future: asyncio.Future[None] | None, error: BaseException | None = None) -> None:
        """Resolve a future of the caller's loop from the election thread."""
        if future is None or self._caller is None:
            return

        def resolve() -> None:
            if future.done():
                return
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

        with _loop_closed_ok():
            self._caller.call_soon_threadsafe(resolve)


def _loop_closed_ok() -> contextlib.AbstractContextManager[None]:
    """A loop that already closed has nobody left to tell."""
    return contextlib.suppress(RuntimeError)
