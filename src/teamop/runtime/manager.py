"""The manager: shared informers, controllers, leader election, probes and metrics, and an orderly stop.

    manager = Manager(client, leader_election=True, lease_name="team-operator", lease_namespace="posit-team")
    ControllerBuilder(manager).for_(SITE).owns(CONFIG_MAP).complete(SiteReconciler(manager))
    await manager.run()          # until SIGTERM/SIGINT (install_signal_handlers) or request_stop()

Start-up: HTTP endpoints → controllers register their informers → informers start and sync → (leader election)
→ workers run. Standby managers keep their caches warm, so a takeover starts reconciling at once.
Stop: workers take no new keys, reconciles in flight get `grace_period` seconds, then the lease is released
(so a standby takes over at its next try) and the informers stop. Losing the lease stops the workers at once and
makes `run` raise `LeadershipLost` — the process should exit and be restarted, as controller-runtime does.
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
from teamop.runtime.leaderelection import LeaderElector
from teamop.runtime.ownership import ManagedBy
from teamop.runtime.status import StatusWriter

log = structlog.get_logger(__name__)

_SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


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
        resync_period: float | None = resync.DEFAULT_PERIOD,
    ) -> None:
        """`take_over_field_managers`: field managers whose Update entries on the objects we apply, and on the
        status we write, are taken over (see `takeover`); default: our own manager's name, the name a previous
        operator writing under it used. `resync_period`: how often each controller reconciles every object with
        every write made (`resync`; None or 0: never), unless the controller sets its own."""
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
        self.status = StatusWriter(client, take_over_managers=take_over)
        self.events = EventRecorder(client, controller=self.managed_by.value)
        self.controllers: list[Controller] = []
        self.grace_period = grace_period
        self.sync_timeout = sync_timeout
        self.health_addr = health_addr
        self.metrics_addr = metrics_addr
        self.elector: LeaderElector | None = None
        if leader_election:
            self.elector = LeaderElector(
                client, lease_name=lease_name, lease_namespace=lease_namespace or own_namespace(),
                identity=identity, lease_duration=lease_duration, renew_deadline=renew_deadline,
                retry_period=retry_period,
            )
        self.http = HttpEndpoints(healthy=self._health_problem, ready=self._ready_problem, registry=metrics.REGISTRY)
        self._stop = asyncio.Event()
        self._running = False
        self._election_task: asyncio.Task[None] | None = None

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
        return None if self._running else "manager not running"

    def _ready_problem(self) -> str | None:
        if not self._running:
            return "manager not running"
        if not self.cache.has_synced:
            return "caches not synced"
        if self.elector is not None and self._election_task is not None and self._election_task.done():
            return "leader election stopped"
        return None

    # -- running ---------------------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Run until `request_stop` (or a signal); raises LeadershipLost if the lease was lost."""
        self._running = True
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
            if self.elector is None:
                self._start_controllers()
                await self._stop.wait()
                return
            await self._until_stopped(self.elector.acquire())
            if self._stop.is_set():
                return
            self._start_controllers()
            self._election_task = asyncio.get_running_loop().create_task(self.elector.hold())
            await self._until_stopped(asyncio.shield(self._election_task))
            if not self._stop.is_set():
                lost = True
                await self._abort_controllers()
                raise LeadershipLost(f"lost lease {self.elector.lease_namespace}/{self.elector.lease_name}")
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
        if self._election_task is not None:
            self._election_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._election_task
        if self.elector is not None and not lost:
            await self.elector.release()
        await self.events.flush()
        await self.cache.stop()
        await self.http.stop()
        self._running = False
        log.info("manager stopped")
