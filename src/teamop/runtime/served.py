"""Whether the API server serves a kind (its CRD is installed and Established), and waking whoever asked when
that changes.

    served = await served_kinds(manager).served(GVK("example.com", "v1", "Gadget"), wakes=controller)

With a running manager the answers follow the cluster's CustomResourceDefinitions: one informer watches them as
metadata only (a CRD is large; its name, `<plural>.<group>`, and resourceVersion are enough to tell that one of a
group changed). An answer is kept until a CRD of the kind's group is created, changed or deleted; then the kind is
asked about again, from the CRD itself (served when it names the kind, serves the version, is Established and is
not being deleted), and when the answer changed, the kind registry learns or forgets the kind, the informers of
the kind start or stop, and every controller that asked with `wakes` queues each of its objects once. So a CRD
installed after the operator started is used seconds later, and one removed is no longer written to. Steady state
costs nothing: no request per question, one LIST+WATCH for all CRDs.

Without a manager whose cache runs, or without permission to list CRDs (logged once), a kind is asked of
discovery: a kind found served stays served, a kind found missing is asked about again only after
`recheck_seconds`.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from teamop.runtime.errors import ApiError, NoKindMatch, NotFound
from teamop.runtime.informer import EventHandler, SyncFailed
from teamop.runtime.kinds import GVK, KindRegistry, ResourceInfo

if TYPE_CHECKING:
    from teamop.runtime.cache import InformerCache
    from teamop.runtime.manager import Manager

log = structlog.get_logger(__name__)

RECHECK_SECONDS = 300.0
SYNC_TIMEOUT = 60.0
CRD = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")

Obj = Mapping[str, Any]


class Waker(Protocol):
    """What asked about a kind and wants to hear when its answer changes (a `Controller`)."""

    def enqueue_all(self) -> int: ...


class CrdSource(Protocol):
    """The cluster's CRDs: their names, watched, and each one read whole on demand."""

    async def watch(self, changed: Callable[[str], None]) -> bool:
        """Call `changed(name)` for every CRD created, changed or deleted from now on; False if it cannot."""

    def names(self) -> Iterable[str]:
        """The names of the CRDs that exist now."""

    async def read(self, name: str) -> Obj | None:
        """The CRD named `name`, or None."""


def crd_serves(crd: Obj, gvk: GVK) -> ResourceInfo | None:
    """How `crd` serves `gvk` (None: it does not, or not yet, or no longer)."""
    metadata, spec = crd.get("metadata") or {}, crd.get("spec") or {}
    names = spec.get("names") or {}
    if metadata.get("deletionTimestamp") or spec.get("group") != gvk.group or names.get("kind") != gvk.kind:
        return None
    if not any(v.get("name") == gvk.version and v.get("served") for v in spec.get("versions") or ()):
        return None
    conditions = (crd.get("status") or {}).get("conditions") or ()
    if not any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
        return None
    return ResourceInfo(gvk, str(names.get("plural")), spec.get("scope") == "Namespaced")


def _candidates(names: Iterable[str], gvk: GVK) -> list[str]:
    """The CRDs that may define `gvk` (named `<plural>.<group>`), the likeliest first: plurals that start with
    the kind's name, shortest first."""
    suffix, prefix = f".{gvk.group}", gvk.kind.lower()
    of_group = [name for name in names if name.endswith(suffix)]
    return sorted(of_group, key=lambda name: (not name.startswith(prefix), len(name), name))


class ServedKinds:
    def __init__(self, kinds: KindRegistry, *, recheck_seconds: float = RECHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic, crds: CrdSource | None = None,
                 on_change: Callable[[GVK, bool], Awaitable[None]] | None = None) -> None:
        """`crds`: where to watch CRDs (None: discovery and periodic rechecks only); `on_change`: called (before
        the askers are woken) when a kind starts or stops being served."""
        self._kinds = kinds
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._crds = crds
        self._on_change = on_change
        self._watching: asyncio.Future[bool] | None = None
        self._answers: dict[GVK, bool] = {}  # while watching: kept until a CRD of the kind's group changes
        self._missing_since: dict[GVK, float] = {}  # otherwise: when discovery last said the kind is not served
        self._served: set[GVK] = set()
        self._locks: dict[GVK, asyncio.Lock] = {}
        # Weakly: a controller (whose reconciler holds its manager) must not keep the manager this memo is kept for
        # alive (`served_kinds`).
        self._wakers: dict[GVK, weakref.WeakSet[Waker]] = {}
        self._crd_changes: dict[GVK, int] = {}  # CRD events that concerned each kind
        self._defined_by: dict[GVK, str] = {}  # the CRD that serves a kind found served
        self._published: dict[GVK, bool] = {}  # while watching: the answer the askers were last given or woken for
        self._rechecks: set[asyncio.Task[None]] = set()
        self.changes = 0  # kinds found to start or stop being served

    async def served(self, gvk: GVK, *, wakes: Waker | None = None) -> bool:
        """Whether `gvk` is served; `wakes` queues its objects once whenever that changes. Callers asking at the
        same time share one request."""
        wakers = self._wakers.setdefault(gvk, weakref.WeakSet())  # also: the kinds asked about
        if wakes is not None:
            wakers.add(wakes)
        if await self._watched():
            answer = self._answers.get(gvk)
            if answer is not None:
                return answer
            async with self._locks.setdefault(gvk, asyncio.Lock()):
                answer = self._answers.get(gvk)
                if answer is None:
                    seen = self._crd_changes.get(gvk, 0)
                    answer = await self._ask_crds(gvk)
                    if self._crd_changes.get(gvk, 0) == seen:  # else a CRD changed meanwhile: its recheck asks again
                        self._answers[gvk] = answer
                    self._published.setdefault(gvk, answer)
                return answer
        return await self._ask_discovery(gvk)

    # -- watching CRDs ---------------------------------------------------------------------------------------------
    async def _watched(self) -> bool:
        if self._crds is None:
            return False
        if self._watching is None:
            self._watching = asyncio.ensure_future(self._crds.watch(self._crd_changed))
        return await asyncio.shield(self._watching)

    async def _ask_crds(self, gvk: GVK) -> bool:
        assert self._crds is not None
        for name in _candidates(self._crds.names(), gvk):
            crd = await self._crds.read(name)
            info = crd_serves(crd, gvk) if crd is not None else None
            if info is not None:
                self._kinds.register(info)
                self._defined_by[gvk] = name
                return True
        self._defined_by.pop(gvk, None)
        return False

    def _crd_changed(self, name: str) -> None:
        """A CRD was created, changed or deleted: ask again about the kinds asked about in its group (of a kind
        served, only when it is the CRD that serves it)."""
        group = name.partition(".")[2]
        stale = [gvk for gvk in self._wakers
                 if gvk.group == group and self._defined_by.get(gvk, name) == name]
        for gvk in stale:
            self._answers.pop(gvk, None)
            self._crd_changes[gvk] = self._crd_changes.get(gvk, 0) + 1
        if stale:
            task = asyncio.get_running_loop().create_task(self._recheck(stale), name=f"served kinds {group}")
            self._rechecks.add(task)
            task.add_done_callback(self._rechecks.discard)

    async def _recheck(self, kinds: list[GVK]) -> None:
        for gvk in kinds:
            try:
                now = await self.served(gvk)
            except Exception as error:  # the API server is away: the next question asks again
                log.warning("cannot tell whether a kind is served", kind=str(gvk), error=str(error))
                continue
            before = self._published.get(gvk)
            self._published[gvk] = now
            if before is None or now == before:
                continue
            self.changes += 1
            if not now:
                self._kinds.forget(gvk)
            log.info("kind now served" if now else "kind no longer served", kind=str(gvk))
            if self._on_change is not None:
                await self._on_change(gvk, now)
            for waker in list(self._wakers.get(gvk, ())):
                waker.enqueue_all()

    async def settled(self) -> None:
        """Return once the kinds asked about again after CRD changes seen so far have their new answers."""
        while self._rechecks:
            await asyncio.gather(*self._rechecks, return_exceptions=True)

    # -- without a watch -------------------------------------------------------------------------------------------
    async def _ask_discovery(self, gvk: GVK) -> bool:
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


class _Changed(EventHandler):
    def __init__(self, changed: Callable[[str], None]) -> None:
        self.changed = changed

    def on_add(self, obj: Obj) -> None:
        self.changed(obj["metadata"]["name"])

    def on_update(self, old: Obj, new: Obj) -> None:
        self.changed(new["metadata"]["name"])

    def on_delete(self, obj: Obj) -> None:
        self.changed(obj["metadata"]["name"])


class CachedCrds:
    """The CRDs of an informer cache: one metadata-only informer of all CRDs (a field selector names only one)."""

    def __init__(self, cache: InformerCache, *, sync_timeout: float = SYNC_TIMEOUT) -> None:
        self.cache = cache
        self.sync_timeout = sync_timeout
        self.reads = 0  # CRDs read whole

    async def watch(self, changed: Callable[[str], None]) -> bool:
        self.cache.metadata_only(CRD)
        informer = self.cache.get_informer(CRD)
        informer.start()
        try:
            await informer.wait_for_sync(self.sync_timeout, fail_on_list_error=True)
        except (SyncFailed, TimeoutError) as error:
            await self.cache.remove_informer(informer)
            log.warning("cannot watch CustomResourceDefinitions: a kind found missing is looked for again every "
                        f"{RECHECK_SECONDS:g} s, one found served is assumed to stay served", error=str(error))
            return False
        informer.add_handler(_Changed(changed))
        return True

    def names(self) -> Iterable[str]:
        informer = self.cache.get_informer(CRD)
        return [obj["metadata"]["name"] for obj in informer.list()]

    async def read(self, name: str) -> Obj | None:
        self.reads += 1
        try:
            return await self.cache.client.get(CRD, name)
        except NotFound:
            return None
        except ApiError as error:
            log.warning("cannot read a CustomResourceDefinition", name=name, error=str(error))
            return None


def informers_following(cache: InformerCache) -> Callable[[GVK, bool], Awaitable[None]]:
    """An `on_change`: the informers of a kind no longer served stop (rather than fail to list every few seconds);
    they start again, listing afresh, when it is served again."""

    async def follow(gvk: GVK, served: bool) -> None:
        for informer in cache.informers():
            if informer.gvk != gvk:
                continue
            if served and not informer.started and cache.started:
                informer.start()
            elif not served and informer.started:
                await informer.stop()

    return follow


class ServedOnce:
    """The answers of one reconcile: each kind asked of `kinds` the first time and that answer given from then on,
    so that two parts of one reconcile cannot see a kind both served and not (its CRD coming or going between)."""

    def __init__(self, kinds: ServedKinds, *, wakes: Waker | None = None) -> None:
        self._kinds = kinds
        self._wakes = wakes
        self._answers: dict[GVK, bool] = {}

    async def served(self, gvk: GVK) -> bool:
        answer = self._answers.get(gvk)
        if answer is None:
            answer = self._answers[gvk] = await self._kinds.served(gvk, wakes=self._wakes)
        return answer


_by_manager: weakref.WeakKeyDictionary[Manager, ServedKinds] = weakref.WeakKeyDictionary()


def served_kinds(manager: Manager) -> ServedKinds:
    """The manager's served kinds (one per manager, shared by its controllers), following its cluster's CRDs once
    its cache runs."""
    memo = _by_manager.get(manager)
    if memo is None or (memo._crds is None and manager.cache.started):
        cache = manager.cache
        crds = CachedCrds(cache) if cache.started else None
        memo = _by_manager[manager] = ServedKinds(manager.client.kinds, crds=crds,
                                                  on_change=informers_following(cache))
    return memo
