"""The manager: shared informers, controllers, leader election, probes and metrics, and an orderly stop.

    manager = Manager(client, leader_election=True, lease_name="team-operator", lease_namespace="posit-team")
    ControllerBuilder(manager).for_(SITE).owns(CONFIG_MAP).complete(SiteReconciler(manager))
    await manager.run()          # until SIGTERM/SIGINT (install_signal_handlers) or request_stop()

Start-up: HTTP endpoints → controllers register their informers → informers start and sync → (leader election)
→ workers run. Standby managers keep their caches warm, so a takeover starts reconciling at once.
Stop: workers take no new keys, reconciles in flight get `grace_period` seconds, then the lease is released
(so a standby takes over at its next try) and the informers stop. Losing the lease stops the workers at once and
makes `run` raise `LeadershipLost` — the process should exit and be restarted, as controller-runtime does. From
the moment the loss is observed the client sends no write (`Client.fence_writes`), even from a reconcile that has
not yet seen its cancellation. Leader election runs in a thread of its own (`ElectionThread`).

`/healthz` fails once a controller's workers crashed `max_worker_crashes` times within `crash_window` seconds (a
crashed worker is replaced at once; see `Controller`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Collection, Iterable

import structlog

from teamop.runtime import metrics, resync
from teamop.runtime.apply import Applier
from teamop.runtime.cache import InformerCache
from teamop.runtime.cachereader import CacheReader
from teamop.runtime.client import Client
from teamop.runtime.controller import Controller
from teamop.runtime.events import EventRecorder
from teamop.runtime.health import HttpEndpoints
from teamop.runtime.informer import Scope
from teamop.runtime.leaderelection import ElectionThread, LeaderElector
from teamop.runtime.ownership import ManagedBy
from teamop.runtime.status import StatusWriter

log = structlog.get_logger(__name__)

_SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
STATUS_COALESCE_SECONDS = 2.0


class LeadershipLost(RuntimeError):
    """The lease could not be renewed in time; the process must stop reconciling (and should exit)."""


def own_namespace() -> str:
    """The namespace the operator runs in (in a pod), else `POD_NAMESPACE`, else "default"."""
    with contextlib.suppress(OSError), open(_SERVICE_ACCOUNT_NAMESPACE) as file:
        return file.read().strip()
    return os.environ.get("POD_NAMESPACE", "default")


class Manager:
    def __init__(
        self,
        client: Client,
        *,
        namespaces: Scope = None,
        leader_election: bool = False,
        lease_name: str = "team-operator",
        lease_namespace: str | None = None,
        identity: str | None = None,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        health_addr: str | None = ":8081",
        metrics_addr: str | None = ":8080",
        grace_period: float = 30.0,
        sync_timeout: float | None = 120.0,
        managed_by: ManagedBy | None = None,
        max_parallel_applies: int = 8,
        take_over_field_managers: Collection[str] | None = None,
        reconcile_timeout: float | None = 300.0,
        resync_period: float | None = resync.DEFAULT_PERIOD,
        max_worker_crashes: int = 5,
        crash_window: float = 600.0,
        status_coalesce_seconds: float = STATUS_COALESCE_SECONDS,
    ) -> None:
        """`take_over_field_managers`: field managers whose Update entries on the objects we apply, and on the
        status we write, are taken over (see `takeover`); default: our own manager's name, the name a previous
        operator writing under it used. `reconcile_timeout`: the default of every controller's (None: none).
        `resync_period`: how often each controller reconciles every object with every write made (`resync`; None
        or 0: never), unless the controller sets its own. `status_coalesce_seconds`: how often at most a status
        that is not ready yet is written per object while it converges (see `status`; 0: at every change)."""
        self.resync_period = resync_period or None
        self.client = client
        take_over = (client.field_manager,) if take_over_field_managers is None else tuple(take_over_field_managers)
        self.namespaces = namespaces
        self.managed_by = managed_by or ManagedBy()
        self.cache = InformerCache(client, take_over_managers=take_over)
        self.applier = Applier(
            client, CacheReader(self.cache, namespaces=namespaces, label_selector=self.managed_by.selector),
            managed_by=self.managed_by, max_parallel=max_parallel_applies, take_over_managers=take_over,
        )
        self.status = StatusWriter(client, take_over_managers=take_over, coalesce_seconds=status_coalesce_seconds)
        self.events = EventRecorder(client, controller=self.managed_by.value)
        self.controllers: list[Controller] = []
        self.grace_period = grace_period
        self.sync_timeout = sync_timeout
        self.reconcile_timeout = reconcile_timeout
        self.max_worker_crashes = max_worker_crashes
        self.crash_window = crash_window
        self.health_addr = health_addr
        self.metrics_addr = metrics_addr
        self.elector: LeaderElector | None = None
        self.election: ElectionThread | None = None
        if leader_election:
            self.elector = LeaderElector(
                client, lease_name=lease_name, lease_namespace=lease_namespace or own_namespace(),
                identity=identity, lease_duration=lease_duration, renew_deadline=renew_deadline,
                retry_period=retry_period,
            )
            self.elector.on_lost.append(self._on_lease_lost)
            self.election = ElectionThread(self.elector)
        self.http = HttpEndpoints(healthy=self._health_problem, ready=self._ready_problem, registry=metrics.REGISTRY)
        self._stop = asyncio.Event()
        self._running = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- wiring ----------------------------------------------------------------------------------------------------
    def add(self, controller: Controller) -> None:
        if self._running:
            raise RuntimeError("controllers must be added before the manager runs")
        self.controllers.append(controller)

    @property
    def leading(self) -> bool:
        return self.elector is None or self.elector.is_leader

    @property
    def reconciling(self) -> bool:
        return any(c.running for c in self.controllers)

    def request_stop(self) -> None:
        self._stop.set()

    def install_signal_handlers(self, signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT)) -> None:
        loop = asyncio.get_running_loop()
        for signum in signals:
            loop.add_signal_handler(signum, self.request_stop)

    # -- probes ----------------------------------------------------------------------------------------------------
    def _health_problem(self) -> str | None:
        if not self._running:
            return "manager not running"
        for controller in self.controllers:
            crashes = controller.recent_crashes(self.crash_window)
            if crashes >= self.max_worker_crashes:
                return f"controller {controller.name}: {crashes} worker crashes in the last {self.crash_window:g} s"
        return None

    def _ready_problem(self) -> str | None:
        if not self._running:
            return "manager not running"
        if not self.cache.has_synced:
            return "caches not synced"
        if self.election is not None and self.leading and not self.election.running:
            return "leader election stopped"
        return None

    def _on_lease_lost(self, reason: str) -> None:
        """Called in the election thread the moment the loss is observed: no write from here on, and every
        worker cancelled as soon as the event loop runs."""
        self.client.fence_writes(f"leadership lost: {reason}")
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing runs any more
                loop.call_soon_threadsafe(self._cancel_workers)

    def _cancel_workers(self) -> None:
        for controller in self.controllers:
            controller.cancel_workers()

    # -- running ---------------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Run until `request_stop` (or a signal); raises LeadershipLost if the lease was lost."""
        self._running = True
        self._loop = asyncio.get_running_loop()
        lost = False
        try:
            await self.http.start(self.health_addr, self.metrics_addr)
            for filtered in (False, True):
                for controller in self.controllers:
                    await controller.register_sources(filtered=filtered)
            await self.cache.start()
            await self._until_stopped(self.cache.wait_for_sync(self.sync_timeout))
            if self._stop.is_set():
                return
            log.info("caches synced", informers=len(self.cache.informers()))
            if self.elector is None or self.election is None:
                self._start_controllers()
                await self._stop.wait()
                return
            self.election.start()
            await self._until_stopped(self.election.acquired())
            if self._stop.is_set():
                return
            self._start_controllers()
            lease = f"{self.elector.lease_namespace}/{self.elector.lease_name}"
            try:
                await self._until_stopped(self.election.lost())
            except Exception as error:
                lost = True
                await self._abort_controllers()
                raise LeadershipLost(f"leader election on {lease} failed: {error}") from error
            if not self._stop.is_set():
                lost = True
                await self._abort_controllers()
                raise LeadershipLost(f"lost lease {lease}")
        finally:
            await self._shutdown(lost)

    async def _until_stopped(self, work: Awaitable[None]) -> None:
        """Await `work` unless a stop is requested first (then cancel it)."""
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if task.done():
            task.result()
        else:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _start_controllers(self) -> None:
        for controller in self.controllers:
            controller.start_workers()

    async def _abort_controllers(self) -> None:
        await asyncio.gather(*(c.abort() for c in self.controllers))

    async def _shutdown(self, lost: bool) -> None:
        log.info("manager stopping", grace_period=self.grace_period)
        if not lost:
            await asyncio.gather(*(c.stop(self.grace_period) for c in self.controllers))
        else:
            await self._abort_controllers()
        if self.election is not None:
            await self.election.stop(release=not lost)
        await self.events.flush()
        await self.cache.stop()
        await self.http.stop()
        self._running = False
        log.info("manager stopped")
