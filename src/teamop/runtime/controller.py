"""Controllers: informer events become keys in a work queue; workers reconcile the keys.

    controller = (
        ControllerBuilder(manager)
        .named("widget")
        .for_(WIDGET)                                   # events on the primary → its own key
        .owns(CONFIG_MAP)                               # events on a child → its controller owner's key
        .watches(SECRET, lambda obj: [Request(...)])   # anything else → whatever the mapper says
        .with_options(max_concurrent_reconciles=4)
        .complete(WidgetReconciler(...))
    )

A reconcile that raises is logged with its key, counted, and retried with per-key exponential backoff; the
worker carries on. So is one that runs longer than `reconcile_timeout` (it is cancelled). `Result(requeue_after=s)`
schedules the key again (and resets its backoff), `Result(requeue=True)` retries with backoff, anything else
forgets the key until the next event (a retry or `requeue_after` an earlier reconcile of the key asked for is
dropped: the latest reconcile says when to come back).

Workers are supervised: a worker that ends while the controller runs (a reconciler that lets a CancelledError out
that was not a cancellation of the worker, or a bug in the engine) is replaced at once, counted in
`teamop_controller_worker_crashes_total`, and its key retried with backoff; `recent_crashes` tells the manager's
`/healthz`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from teamop.runtime import heldback, metrics, resync
from teamop.runtime.cache import InformerCache
from teamop.runtime.informer import EventHandler, Scope
from teamop.runtime.kinds import GVK
from teamop.runtime.labels import Selector, parse_selector
from teamop.runtime.predicates import (
    GenerationChanged,
    Predicate,
    allows_create,
    allows_delete,
    allows_update,
)
from teamop.runtime.ratelimiter import RateLimiter
from teamop.runtime.reconcile import Reconciler, Request, Result
from teamop.runtime.workqueue import ShutDown, WorkQueue

if TYPE_CHECKING:
    from teamop.runtime.manager import Manager

log = structlog.get_logger(__name__)

Obj = Mapping[str, Any]
Mapper = Callable[[Obj], Iterable[Request]]


def _own_key(obj: Obj) -> list[Request]:
    return [Request.of(obj)]


def owner_mapper(owner: GVK, *, owner_namespaced: bool = True) -> Mapper:
    """Map a child to its controller owner's key, when that owner is of kind `owner` (any version)."""

    def mapper(obj: Obj) -> list[Request]:
        metadata = obj.get("metadata") or {}
        for ref in metadata.get("ownerReferences") or ():
            if not ref.get("controller"):
                continue
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            if ref.get("kind") == owner.kind and group == owner.group:
                namespace = (metadata.get("namespace") or "") if owner_namespaced else ""
                return [Request(namespace, ref["name"])]
        return []

    return mapper


def _only_matching(selector: Selector, mapper: Mapper) -> Mapper:
    """`mapper` for the objects the source's label selector selects (when it shares a wider informer)."""

    def mapped(obj: Obj) -> Iterable[Request]:
        if not selector.matches((obj.get("metadata") or {}).get("labels")):
            return []
        return mapper(obj)

    return mapped


class _Enqueuer(EventHandler):
    """Turns one informer's events into work-queue keys; `urgent` for the primary kind's own events (a new or
    changed object goes ahead of keys that its children's changes woke)."""

    def __init__(self, queue: WorkQueue[Request], mapper: Mapper, predicates: Sequence[Predicate], *,
                 urgent: bool = False) -> None:
        self.queue = queue
        self.mapper = mapper
        self.predicates = predicates
        self.urgent = urgent

    def on_add(self, obj: Obj) -> None:
        if allows_create(self.predicates, obj):
            self._enqueue(obj)

    def on_update(self, old: Obj, new: Obj) -> None:
        if allows_update(self.predicates, old, new):
            # Both: an update may move an object from one owner to another.
            requests = {*self.mapper(old), *self.mapper(new)}
            for request in requests:
                self.queue.add(request, urgent=self.urgent)

    def on_delete(self, obj: Obj) -> None:
        if allows_delete(self.predicates, obj):
            self._enqueue(obj)

    def _enqueue(self, obj: Obj) -> None:
        for request in self.mapper(obj):
            self.queue.add(request, urgent=self.urgent)


@dataclass(frozen=True)
class Source:
    """An informer scope whose events feed the controller's queue."""

    gvk: GVK
    mapper: Mapper | None  # None: the primary's own key; owns() resolves its mapper at start
    predicates: tuple[Predicate, ...] = ()
    label_selector: str | None = None
    owned: bool = False


@dataclass
class ControllerOptions:
    max_concurrent_reconciles: int = 1
    rate_limiter: RateLimiter | None = None
    resync_period: float | None = None  # enqueue every primary object this often (None: only on events)
    forced_resync_period: float | None = None
    """Reconcile every primary object this often with every write made (`resync`); with a manager, its
    `resync_period` unless set."""
    reconcile_timeout: float | None = None  # seconds a reconcile may run before it is cancelled and retried


class Controller:
    def __init__(
        self,
        name: str,
        reconciler: Reconciler,
        *,
        cache: InformerCache,
        primary: GVK,
        sources: Sequence[Source],
        namespaces: Scope = None,
        options: ControllerOptions | None = None,
    ) -> None:
        self.name = name
        self.reconciler = reconciler
        self.cache = cache
        self.primary = primary
        self.sources = list(sources)
        self.namespaces = namespaces
        self.options = options or ControllerOptions()
        if self.options.max_concurrent_reconciles < 1:
            raise ValueError("max_concurrent_reconciles must be at least 1")
        self.queue: WorkQueue[Request] = WorkQueue(name, self.options.rate_limiter)
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False
        self._crashes: deque[float] = deque(maxlen=1000)
        self._resync: asyncio.Task[None] | None = None
        self._forced: set[Request] = set()  # keys a forced resync queued, not yet reconciled
        self._handlers: list[tuple[Any, EventHandler]] = []
        self._log = log.bind(controller=name)
        self._active = metrics.active_workers.labels(name)
        self._reconcile_time = metrics.reconcile_time_seconds.labels(name)
        self._errors = metrics.reconcile_errors_total.labels(name)
        self._worker_crashes = metrics.worker_crashes_total.labels(name)
        metrics.max_concurrent_reconciles.labels(name).set(self.options.max_concurrent_reconciles)
        self._active.set(0)

    @property
    def owned_kinds(self) -> list[GVK]:
        return [source.gvk for source in self.sources if source.owned]

    # -- wiring ----------------------------------------------------------------------------------------------------
    async def register_sources(self, *, filtered: bool | None = None) -> None:
        """Create (or share) the informers this controller listens to and register its handlers on them.

        `filtered=False` registers only the sources without a label selector, `True` only the others (the
        manager registers every controller's unfiltered sources first, so that a filtered source of the same kind
        shares the unfiltered informer instead of starting a second one); None registers all."""
        primary_info = await self.cache.client.kinds.resolve(self.primary)
        for source in self.sources:
            if filtered is not None and (source.label_selector is not None) != filtered:
                continue
            info = await self.cache.client.kinds.resolve(source.gvk)
            informer = self.cache.get_informer(
                source.gvk, namespace=self.namespaces if info.namespaced else None,
                label_selector=source.label_selector,
            )
            if source.owned:
                mapper = owner_mapper(self.primary, owner_namespaced=primary_info.namespaced)
            else:
                mapper = source.mapper or _own_key
            if source.label_selector is not None and informer.label_selector != source.label_selector:
                mapper = _only_matching(parse_selector(source.label_selector), mapper)
            primary = source.mapper is None and not source.owned
            handler = _Enqueuer(self.queue, mapper, source.predicates, urgent=primary)
            informer.add_handler(handler)
            self._handlers.append((informer, handler))

    async def add_owned(self, gvk: GVK, *, label_selector: str | None = None) -> None:
        """Watch `gvk` as a child kind from now on, as `ControllerBuilder.owns` would have from the start: for a
        kind served only later (a CRD installed after the controller started). Once per kind; the informer starts
        at once when the cache runs."""
        if gvk in self.owned_kinds:
            return
        primary_info = await self.cache.client.kinds.resolve(self.primary)
        info = await self.cache.client.kinds.resolve(gvk)
        if gvk in self.owned_kinds:  # registered by a caller that was waiting meanwhile
            return
        self.sources.append(Source(gvk, None, (), label_selector, owned=True))
        informer = self.cache.get_informer(gvk, namespace=self.namespaces if info.namespaced else None,
                                           label_selector=label_selector)
        mapper = owner_mapper(self.primary, owner_namespaced=primary_info.namespaced)
        if label_selector is not None and informer.label_selector != label_selector:
            mapper = _only_matching(parse_selector(label_selector), mapper)
        handler = _Enqueuer(self.queue, mapper, ())
        informer.add_handler(handler)
        self._handlers.append((informer, handler))

    def enqueue(self, request: Request) -> None:
        self.queue.add(request)

    def enqueue_all(self, *, force: bool = False) -> int:
        """Queue every cached primary object (a resync); with `force`, their next reconciles make every write
        (see `resync`). Returns how many."""
        count = 0
        for obj in self.cache.list(self.primary):
            request = Request.of(obj)
            if force:
                self._forced.add(request)
            self.queue.add(request)
            count += 1
        return count

    # -- running ---------------------------------------------------------------------------------------------------
    def start_workers(self) -> None:
        if self._workers:
            return
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._workers = [self._new_worker(index) for index in range(self.options.max_concurrent_reconciles)]
        if self.options.resync_period or self.options.forced_resync_period:
            self._resync = loop.create_task(self._resyncs())
        self._log.info("controller started", workers=len(self._workers))

    @property
    def running(self) -> bool:
        return bool(self._workers)

    async def stop(self, grace: float = 30.0) -> None:
        """Stop taking work; let reconciles in flight finish within `grace` seconds, then cancel them."""
        if self._resync is not None:
            self._resync.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue.shutdown_with_drain(), grace)
        await self.abort()

    def recent_crashes(self, window: float) -> int:
        """Workers that crashed within the last `window` seconds."""
        since = time.monotonic() - window
        return sum(1 for moment in self._crashes if moment >= since)

    def cancel_workers(self) -> None:
        """Stop handing out keys and cancel every worker now, without waiting for them (leadership lost)."""
        self._stopping = True
        self.queue.shutdown()
        for task in [*self._workers, *([self._resync] if self._resync else [])]:
            task.cancel()

    async def abort(self) -> None:
        """Cancel every worker at once (e.g. leadership lost): nothing more is written by this controller."""
        tasks = [*self._workers, *([self._resync] if self._resync else [])]
        self.cancel_workers()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers = []
        self._resync = None
        for informer, handler in self._handlers:
            with contextlib.suppress(ValueError):
                informer.remove_handler(handler)
        self._handlers = []
        self._active.set(0)

    async def _resyncs(self) -> None:
        await asyncio.gather(*(self._resync_loop(period, force=force) for period, force in (
            (self.options.resync_period, False), (self.options.forced_resync_period, True)) if period))

    async def _resync_loop(self, period: float, *, force: bool) -> None:
        while True:
            await asyncio.sleep(resync.jittered(period))
            queued = self.enqueue_all(force=force)
            if force:
                self._log.info("resync: reconciling every object with every write made", objects=queued)

    def _new_worker(self, index: int) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._work(), name=f"{self.name} worker {index}")
        task.add_done_callback(lambda ended: self._worker_ended(index, ended))
        return task

    def _worker_ended(self, index: int, task: asyncio.Task[None]) -> None:
        """Replace a worker that ended while the controller runs (a worker only returns on shutdown)."""
        error = None if task.cancelled() else task.exception()
        replaced = index >= len(self._workers) or self._workers[index] is not task
        if self._stopping or self.queue.shutting_down or replaced:
            return
        self._crashes.append(time.monotonic())
        self._worker_crashes.inc()
        self._log.error(
            "worker crashed, starting a new one", worker=index,
            error=f"{type(error).__name__}: {error}" if error is not None else "cancelled from within a reconcile",
            exc_info=error,
        )
        self._workers[index] = self._new_worker(index)

    async def _work(self) -> None:
        while True:
            try:
                request = await self.queue.get()
            except ShutDown:
                return
            self._active.inc()
            try:
                forced = request in self._forced
                self._forced.discard(request)
                with resync.forcing(forced):
                    await self._reconcile(request)
            except BaseException:
                if not self.queue.shutting_down:  # the worker crashed: retry its key (the supervisor replaces it)
                    self.queue.add_rate_limited(request)
                raise
            finally:
                self._active.dec()
                self.queue.done(request)

    async def _reconcile(self, request: Request) -> None:
        started = time.monotonic()
        timeout = self.options.reconcile_timeout
        with structlog.contextvars.bound_contextvars(
            controller=self.name, namespace=request.namespace, name=request.name
        ):
            deadline = asyncio.timeout(timeout)
            try:
                with heldback.collecting() as held:
                    async with deadline:
                        result = await self.reconciler.reconcile(request)
            except asyncio.CancelledError:
                if not _being_cancelled():
                    self._failed(request, started, "the reconciler raised CancelledError", None)
                raise
            except Exception as error:
                if deadline.expired():
                    self._failed(request, started, f"timed out after {timeout:g} s", None)
                else:
                    self._failed(request, started, f"{type(error).__name__}: {error}", error)
                self.queue.add_rate_limited(request)
                return
        seconds = time.monotonic() - started
        self._reconcile_time.observe(seconds)
        outcome = self._requeue(request, result)
        if held.seconds is not None:  # a status write was held back: come back for it (see `heldback`)
            self.queue.add_after(request, held.seconds)
        self._log.debug("reconciled", namespace=request.namespace, name=request.name, seconds=round(seconds, 3),
                        outcome=outcome)

    def _failed(self, request: Request, started: float, reason: str, error: BaseException | None) -> None:
        self._reconcile_time.observe(time.monotonic() - started)
        self._errors.inc()
        metrics.reconcile_total.labels(self.name, "error").inc()
        self._log.error(
            "reconcile failed", namespace=request.namespace, name=request.name,
            retries=self.queue.num_requeues(request), error=reason, exc_info=error,
        )

    def _requeue(self, request: Request, result: Result | None) -> str:
        if result is not None and result.requeue_after is not None and result.requeue_after > 0:
            self.queue.forget(request)
            self.queue.add_after(request, result.requeue_after)
            outcome = "requeue_after"
        elif result is not None and result.requeue:
            self.queue.add_rate_limited(request)
            outcome = "requeue"
        else:
            self.queue.forget(request)
            # The latest reconcile says when to come back: a retry or a come-back an earlier one asked for is moot.
            self.queue.drop_delayed(request)
            outcome = "success"
        metrics.reconcile_total.labels(self.name, outcome).inc()
        return outcome


def _being_cancelled() -> bool:
    """Whether the running task was asked to stop (a CancelledError then comes from outside, not from a bug)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


@dataclass
class _Plan:
    name: str | None = None
    primary: GVK | None = None
    sources: list[Source] = field(default_factory=list)
    options: ControllerOptions = field(default_factory=ControllerOptions)


class ControllerBuilder:
    """Builds a Controller; with a manager, `complete` also registers it there."""

    def __init__(
        self,
        manager: Manager | None = None,
        *,
        cache: InformerCache | None = None,
        namespaces: Scope = None,
        child_selector: str | None = None,
    ) -> None:
        if manager is None and cache is None:
            raise ValueError("ControllerBuilder needs a manager or a cache")
        self._manager = manager
        self._cache = cache if cache is not None else manager.cache  # type: ignore[union-attr]
        self._namespaces = namespaces if manager is None else manager.namespaces
        self._child_selector = child_selector if manager is None else manager.managed_by.selector
        self._plan = _Plan()

    def named(self, name: str) -> ControllerBuilder:
        self._plan.name = name
        return self

    def for_(self, gvk: GVK, *, predicates: Sequence[Predicate] | None = None) -> ControllerBuilder:
        """The primary kind. Default predicate: generation (or labels, annotations, finalizers, deletion) changed."""
        if self._plan.primary is not None:
            raise ValueError("for_ was already called")
        self._plan.primary = gvk
        chosen = (GenerationChanged(),) if predicates is None else tuple(predicates)
        self._plan.sources.insert(0, Source(gvk, None, chosen))
        return self

    def owns(self, gvk: GVK, *, predicates: Sequence[Predicate] = ()) -> ControllerBuilder:
        """A child kind: events go to the child's controller owner. Watched with the managed-by label selector."""
        self._plan.sources.append(Source(gvk, None, tuple(predicates), self._child_selector, owned=True))
        return self

    def watches(
        self, gvk: GVK, mapper: Mapper, *, predicates: Sequence[Predicate] = (), label_selector: str | None = None
    ) -> ControllerBuilder:
        self._plan.sources.append(Source(gvk, mapper, tuple(predicates), label_selector))
        return self

    def with_options(
        self,
        *,
        max_concurrent_reconciles: int | None = None,
        rate_limiter: RateLimiter | None = None,
        resync_period: float | None = None,
        reconcile_timeout: float | None = None,
        forced_resync_period: float | None = None,
    ) -> ControllerBuilder:
        """`reconcile_timeout` defaults to the manager's."""
        if reconcile_timeout is not None:
            self._plan.options.reconcile_timeout = reconcile_timeout
        if max_concurrent_reconciles is not None:
            self._plan.options.max_concurrent_reconciles = max_concurrent_reconciles
        if rate_limiter is not None:
            self._plan.options.rate_limiter = rate_limiter
        if resync_period is not None:
            self._plan.options.resync_period = resync_period
        if forced_resync_period is not None:
            self._plan.options.forced_resync_period = forced_resync_period
        return self

    def complete(self, reconciler: Reconciler) -> Controller:
        primary = self._plan.primary
        if primary is None:
            raise ValueError("for_ must name the primary kind")
        if self._plan.options.forced_resync_period is None and self._manager is not None:
            self._plan.options.forced_resync_period = self._manager.resync_period
        if self._plan.options.reconcile_timeout is None and self._manager is not None:
            self._plan.options.reconcile_timeout = self._manager.reconcile_timeout
        controller = Controller(
            self._plan.name or primary.kind.lower(),
            reconciler,
            cache=self._cache,
            primary=primary,
            sources=self._plan.sources,
            namespaces=self._namespaces,
            options=self._plan.options,
        )
        if self._manager is not None:
            self._manager.add(controller)
        return controller
