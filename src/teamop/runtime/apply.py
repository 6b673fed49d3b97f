"""Keep an owner's children as desired, writing only what differs.

`Applier.ensure_children(owner, desired, owned_kinds=...)`:
1. marks every desired object with the managed-by label and a controller ownerReference to the owner;
2. compares it with the cached object and server-side applies it only when
   - it is absent (the apply creates it: one request),
   - a field it sets is not in the live object with the same value, or not owned by our field manager through Apply
     (`converged`: another manager's change or removal takes the field from us; server defaults and other managers'
     fields are ignored),
   - our field manager owns fields the desired object no longer sets (`fieldset`), so the apply removes them, or
   - a previous operator's field manager (`take_over`) owns fields through Update: they are first moved to our
     manager (`takeover`, once per object), so that the apply removes those we do not set;
   in a reconcile a periodic resync started (`resync.forced()`), it is applied whatever the comparison says;
3. deletes the owner's children of `owned_kinds` that are no longer desired (found by controller-owner UID).

What it wrote is remembered until the cache has seen it (`writememo`; creates too, when the cache can tell its
events: `ObservableChildCache`), so a reconcile that runs before the cache caught up does not write it again.

Desired objects are applied phase by phase (`applyorder`: what others refer to, then role bindings, then
workloads and custom resources), up to `max_parallel` objects of a phase at a time, in the order given when
`max_parallel` is 1. A failure stops before the next phase; the first failure is raised once the objects already
started are done. Deletes start once every apply succeeded.

Fields the API server will not change (a claim's storage class, a workload's selector: `immutable`) keep their
live values; the report lists each such field the desired object wanted otherwise (`kept`), on every call, so the
owner's status can keep saying so. The object is never deleted to change them.

A converged owner therefore costs no write at all. Objects controlled by another owner are never written: the
apply raises `OwnershipConflict` naming the object and its controller. Objects with no controller are adopted.

Cluster-scoped children of a namespaced owner cannot carry an ownerReference (the garbage collector would delete
them at once): they get the label only, are never deleted here, and must be cleaned up by the owner's finalizer.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import structlog

from teamop.runtime import resync
from teamop.runtime.applyorder import in_phases
from teamop.runtime.client import Client
from teamop.runtime.compare import normalise_secret
from teamop.runtime.converged import why_apply
from teamop.runtime.errors import Conflict, Invalid, NotFound
from teamop.runtime.fieldset import owned_fields, union
from teamop.runtime.immutable import PERSISTENT_VOLUME, keep_immutable, replaceable
from teamop.runtime.kinds import GVK, gvk_of
from teamop.runtime.ownership import (
    ManagedBy,
    OwnershipConflict,
    controller_of,
    controller_reference,
    describe,
)
from teamop.runtime.takeover import has_fields_to_take_over, predecessor_fields, take_over
from teamop.runtime.writememo import WriteMemo

log = structlog.get_logger(__name__)

ObjectKey = tuple[GVK, str | None, str]

BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
"""Set on a claim by the cluster's volume binder once it has found the claim's volume (the claim stays Pending a
moment longer, until its status is written)."""
Outcome = Literal["created", "updated", "unchanged"]
T = TypeVar("T")


class ChildCache(Protocol):
    """The reads apply needs; `InformerCache` provides them through `CacheReader`."""

    async def get(self, gvk: GVK, name: str, namespace: str | None) -> Mapping[str, Any] | None: ...

    async def controlled_by(self, gvk: GVK, owner_uid: str) -> list[Mapping[str, Any]]: ...


@runtime_checkable
class ObservableChildCache(ChildCache, Protocol):
    """A cache that also tells the key of each object it hears about (`CacheReader` does). With one, the applier
    remembers its creates until the cache has seen them (see `writememo`); without, it re-creates (harmlessly,
    but at the cost of a request) a child the cache has not caught up with."""

    async def observe(self, gvk: GVK, callback: Callable[[ObjectKey], None]) -> None: ...


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Immutable fields whose live value was kept although the desired object differs (object, path, values)."""

    @property
    def writes(self) -> int:
        return len(self.created) + len(self.updated) + len(self.deleted)

    @property
    def changed(self) -> bool:
        return self.writes > 0


def key_of(obj: Mapping[str, Any]) -> ObjectKey:
    metadata = obj.get("metadata") or {}
    return gvk_of(obj), metadata.get("namespace"), metadata["name"]


class Applier:
    def __init__(
        self,
        client: Client,
        cache: ChildCache,
        *,
        managed_by: ManagedBy | None = None,
        field_manager: str | None = None,
        max_parallel: int = 1,
        take_over_managers: Collection[str] = (),
    ) -> None:
        """`take_over_managers`: field managers whose Update entries on our children are taken over (see
        `takeover`); empty: none."""
        self.client = client
        self.take_over_managers = tuple(take_over_managers)
        self.max_parallel = max_parallel
        self.cache = cache
        self.managed_by = managed_by or ManagedBy()
        self.field_manager = field_manager or client.field_manager
        self._memo = WriteMemo()
        self._observed_kinds: dict[GVK, asyncio.Future[None]] = {}
        self._deleted_uids: OrderedDict[str, None] = OrderedDict()

    async def mark(self, owner: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of `desired` with namespace, managed-by labels and (where possible) the controller reference."""
        obj = normalise_secret(desired) if desired.get("kind") == "Secret" else copy.deepcopy(dict(desired))
        metadata = obj.setdefault("metadata", {})
        if not metadata.get("name"):
            raise ValueError(f"desired object has no name: {describe(obj)}")
        info = await self.client.kinds.resolve(gvk_of(obj))
        owner_namespace = (owner.get("metadata") or {}).get("namespace")
        if info.namespaced:
            metadata.setdefault("namespace", owner_namespace)
            if not metadata["namespace"]:
                raise ValueError(f"{describe(obj)} needs a namespace (its owner is cluster-scoped)")
            if owner_namespace and metadata["namespace"] != owner_namespace:
                raise ValueError(f"{describe(obj)} is not in its owner's namespace {owner_namespace}")
        else:
            metadata.pop("namespace", None)
        metadata["labels"] = {**(metadata.get("labels") or {}), **self.managed_by.labels()}
        if info.namespaced or not owner_namespace:
            reference = controller_reference(owner)
            others = [r for r in metadata.get("ownerReferences") or [] if r.get("uid") != reference["uid"]]
            metadata["ownerReferences"] = [*others, reference]
        return obj

    async def ensure_children(
        self,
        owner: Mapping[str, Any],
        desired: Iterable[Mapping[str, Any]],
        *,
        owned_kinds: Iterable[GVK],
        keep: Collection[ObjectKey] = (),
    ) -> ApplyReport:
        """`keep`: children never deleted though not desired (objects another operator made that the owner's
        controller only reads)."""
        owner_uid = owner["metadata"]["uid"]
        marked: dict[ObjectKey, dict[str, Any]] = {}
        for item in desired:
            obj = await self.mark(owner, item)
            key = key_of(obj)
            if key in marked:
                raise ValueError(f"{describe(obj)} is desired twice")
            marked[key] = obj
        report = ApplyReport()
        outcomes: dict[ObjectKey, tuple[Outcome, list[str]]] = {}
        for phase in in_phases(marked, lambda key: key[0]):
            done = await self._run_all([functools.partial(self._ensure_one, owner, owner_uid, marked[key], key)
                                        for key in phase])
            outcomes.update(zip(phase, done, strict=True))
        for key, obj in marked.items():
            outcome, kept = outcomes[key]
            getattr(report, outcome).append(describe(obj))
            report.kept.extend(kept)
        # Deletes only after every desired object is in place (a renamed child exists before the old one goes).
        stale: list[tuple[GVK, Mapping[str, Any]]] = []
        for gvk in owned_kinds:
            for child in await self.cache.controlled_by(gvk, owner_uid):
                metadata = child.get("metadata") or {}
                child_key = (gvk, metadata.get("namespace"), metadata.get("name"))
                if child_key in marked or child_key in keep:
                    continue
                if metadata.get("deletionTimestamp") or metadata.get("uid") in self._deleted_uids:
                    continue
                stale.append((gvk, child))
        await self._run_all([functools.partial(self._delete, gvk, child) for gvk, child in stale])
        report.deleted.extend(describe(child) for _, child in stale)
        return report

    async def _run_all(self, work: list[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run `work` in order, stopping at the first failure; or, with `max_parallel` > 1, up to that many at a
        time, raising the first failure once all are done."""
        if self.max_parallel <= 1 or len(work) <= 1:
            return [await step() for step in work]
        gate = asyncio.Semaphore(self.max_parallel)

        async def gated(step: Callable[[], Awaitable[T]]) -> T:
            async with gate:
                return await step()

        results = await asyncio.gather(*(gated(step) for step in work), return_exceptions=True)
        failures = [result for result in results if isinstance(result, BaseException)]
        for failure in failures[1:]:  # the first is raised, and logged with the reconcile that fails
            log.error("write failed", error=f"{type(failure).__name__}: {failure}")
        if failures:
            raise failures[0]
        return results  # type: ignore[return-value]

    async def unseen_write(self, gvk: GVK, name: str, namespace: str | None) -> Mapping[str, Any] | None:
        """The object as this applier wrote it, while the cache has not seen that write yet (a reconcile of a
        moment ago); None when the cache is up to date with every write of it."""
        cached = await self.cache.get(gvk, name, namespace)
        current = self._memo.current((gvk, namespace, name), cached)
        return None if current is cached else current

    async def _ensure_one(
        self, owner: Mapping[str, Any], owner_uid: str, obj: dict[str, Any], key: ObjectKey
    ) -> tuple[Outcome, list[str]]:
        gvk, namespace, name = key
        cached = await self.cache.get(gvk, name, namespace)
        live = self._memo.current(key, cached)
        try:
            return await self._converge(owner, owner_uid, obj, key, cached, live)
        except Invalid as error:
            if live is not None:
                raise
            # The cache may not hold the object (its labels may not match the cache's selector): the server then
            # refuses a second controller reference, or a change of a field it does not allow to change. Read it:
            # say who controls it, or adopt it as it is.
            try:
                existing = await self.client.get(gvk, name, namespace)
            except NotFound:
                raise error from None
            controller = controller_of(existing)
            if controller is not None and controller.get("uid") != owner_uid:
                raise OwnershipConflict(existing, controller, owner) from error
            return await self._converge(owner, owner_uid, obj, key, None, existing)

    async def _converge(
        self,
        owner: Mapping[str, Any],
        owner_uid: str,
        obj: dict[str, Any],
        key: ObjectKey,
        cached: Mapping[str, Any] | None,
        live: Mapping[str, Any] | None,
    ) -> tuple[Outcome, list[str]]:
        """Apply `obj` unless `live` (None: absent) already is as desired; returns the outcome and the immutable
        fields kept."""
        kept: list[str] = []
        if live is not None:
            controller = controller_of(live)
            if controller is not None and controller.get("uid") != owner_uid:
                raise OwnershipConflict(live, controller, owner)
            current, wanted = live, obj
            obj, differences_kept = keep_immutable(obj, live, lambda: union(
                owned_fields(current, self.field_manager) or {}, predecessor_fields(current, self.take_over_managers)))
            kept = [str(difference) for difference in differences_kept]
            if replaceable(live) and (kept or await self._bound_to_a_missing_volume(wanted, live)):
                # Nothing to lose: delete it; its deletion event brings the owner back to create the desired one.
                await self._delete(key[0], live)
                log.info("replaced an unbound object whose immutable fields differ", object=describe(live),
                         fields=kept)
                return "updated", []
        reason = why_apply(obj, live, self.field_manager, self.take_over_managers)
        if reason is None:
            if not resync.forced():
                return "unchanged", kept
            reason = "resync"
        gvk = key[0]
        if cached is None and await self._observing(gvk):
            self._memo.expect_create(key)
        taken: list[Mapping[str, Any]] = []
        try:
            if live is not None and has_fields_to_take_over(live, self.take_over_managers):
                taken = await take_over(self.client, live, self.take_over_managers, self.field_manager)
            written = await self.client.apply(obj, force=True)
        except BaseException:
            self._memo.forget(key)
            raise
        self._memo.remember(key, cached, written, passed=taken)
        log.info("applied", object=describe(obj), reason=reason)
        return ("created" if live is None else "updated"), kept

    async def _bound_to_a_missing_volume(self, desired: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
        """Whether unbound `live` waits for a volume that does not exist and that `desired` does not name: it
        would stay Pending for ever (a claim pre-bound by a previous operator to a volume it never made)."""
        volume = (live.get("spec") or {}).get("volumeName")
        if not volume or (desired.get("spec") or {}).get("volumeName") == volume:
            return False
        if ((live.get("metadata") or {}).get("annotations") or {}).get(BIND_COMPLETED):
            return False  # the cluster's binder found the volume and is binding the claim to it: no read needed
        try:
            await self.client.get(PERSISTENT_VOLUME, volume)
        except NotFound:
            return True
        return False

    async def _observing(self, gvk: GVK) -> bool:
        """Whether the memo hears of the cache's events for `gvk` (wired on first use of the kind)."""
        if not isinstance(self.cache, ObservableChildCache):
            return False
        wiring = self._observed_kinds.get(gvk)
        if wiring is None:  # children applied together must not wire the same kind twice
            wiring = self._observed_kinds[gvk] = asyncio.ensure_future(self.cache.observe(gvk, self._memo.observed))
        try:
            await asyncio.shield(wiring)
        except BaseException:
            if wiring.done() and self._observed_kinds.get(gvk) is wiring:
                del self._observed_kinds[gvk]  # failed: the next apply of the kind tries again
            raise
        return True

    async def _delete(self, gvk: GVK, child: Mapping[str, Any]) -> None:
        metadata = child["metadata"]
        uid = metadata.get("uid")
        # NotFound: already gone; Conflict: replaced by a new object of the same name, which is not ours to delete.
        with contextlib.suppress(NotFound, Conflict):
            await self.client.delete(gvk, metadata["name"], metadata.get("namespace"), uid=uid)
        if uid:
            self._deleted_uids[uid] = None
            while len(self._deleted_uids) > 20000:
                self._deleted_uids.popitem(last=False)
        log.info("deleted child no longer desired", object=describe(child))
