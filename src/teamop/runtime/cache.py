"""Shared informers: one per (kind, namespace scope, label selector), whoever asks for it.

What each informer keeps of an object is its kind's transform (`cachetransform`): by default, for the kinds teamop
applies, our own field manager's managedFields entries (and every entry while a takeover is due); `set_transform`
names another for a kind (Pods: status only). A kind marked `metadata_only` is watched unfiltered as metadata
only (a change notification: which objects exist, and when they changed); its filtered informers hold whole
objects. Reads return read-only objects (`frozen`), shared by every reader: copy one to change it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import structlog

from teamop.runtime.cachetransform import Transform, applied_objects, only_metadata, read_only_objects
from teamop.runtime.client import Client
from teamop.runtime.informer import Informer, Scope, normalize_namespaces
from teamop.runtime.kinds import GVK
from teamop.runtime.store import Obj

log = structlog.get_logger(__name__)


def read_only_objects_keeping_managed_fields(obj: Obj) -> Obj:
    """Without the last-applied annotation; managedFields as they are."""
    managed = (obj.get("metadata") or {}).get("managedFields")
    slim = read_only_objects(obj)
    return {**slim, "metadata": {**slim["metadata"], "managedFields": managed}} if managed else slim

InformerKey = tuple[GVK, tuple[str, ...] | None, str | None]


class InformerNotFound(LookupError):
    """No informer of this cache holds the kind in the namespace asked for."""


class InformerCache:
    def __init__(self, client: Client, *, take_over_managers: Collection[str] | None = None) -> None:
        """`take_over_managers`: the field managers whose entries a takeover needs (see `cachetransform`); None
        keeps every managedFields entry (only the last-applied annotation is dropped)."""
        self.client = client
        self._informers: dict[InformerKey, Informer] = {}
        self._started = False
        self.default_transform: Transform = (
            read_only_objects_keeping_managed_fields if take_over_managers is None
            else applied_objects(client.field_manager, take_over_managers)
        )
        self._transforms: dict[GVK, Transform] = {}
        self._metadata_only: set[GVK] = set()

    def set_transform(self, gvk: GVK, transform: Transform) -> None:
        """What informers of `gvk` created from now on keep of each object."""
        self._transforms[gvk] = transform

    def metadata_only(self, gvk: GVK) -> None:
        """Watch `gvk` unfiltered as metadata only (name, namespace, resourceVersion): its unfiltered informers
        tell that objects changed; whole objects come from filtered informers or are read by name
        (`namedreader`)."""
        self._metadata_only.add(gvk)

    def get_informer(self, gvk: GVK, namespace: Scope = None, label_selector: str | None = None) -> Informer:
        """The shared informer for this scope, created on first use (and started at once if the cache runs)."""
        key: InformerKey = (gvk, normalize_namespaces(namespace), (label_selector or "").strip() or None)
        if key[2] is not None:
            # One unfiltered informer of the scope already holds every object: share it, so that a reconcile
            # triggered by one informer never reads a staler copy of the same object from another.
            unfiltered = self._informers.get((gvk, key[1], None))
            if unfiltered is not None and not unfiltered.metadata_only:
                return unfiltered
        informer = self._informers.get(key)
        if informer is None:
            metadata_only = key[2] is None and gvk in self._metadata_only
            informer = Informer(
                self.client, gvk, namespace=key[1], label_selector=key[2], metadata_only=metadata_only,
                transform=only_metadata if metadata_only else self._transforms.get(gvk, self.default_transform),
            )
            self._informers[key] = informer
            if self._started:
                informer.start()
        return informer

    async def remove_informer(self, informer: Informer) -> None:
        """Stop `informer` and forget it (one that cannot list must not hold up the cache's sync)."""
        self._informers = {key: kept for key, kept in self._informers.items() if kept is not informer}
        await informer.stop()

    def informers(self) -> list[Informer]:
        return list(self._informers.values())

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> None:
        self._started = True
        for informer in self._informers.values():
            informer.start()

    async def wait_for_sync(self, timeout: float | None = None) -> None:
        """Wait until every informer has synced; raises TimeoutError naming the laggards."""
        pending = [i for i in self._informers.values() if not i.has_synced]
        if not pending:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*(i.wait_for_sync() for i in pending)), timeout)
        except TimeoutError:
            lagging = ", ".join(str(i.gvk) + (f" ({i.last_list_error})" if i.last_list_error else "")
                                for i in pending if not i.has_synced)
            raise TimeoutError(f"informers not synced within {timeout} s: {lagging}") from None

    @property
    def has_synced(self) -> bool:
        return all(i.has_synced for i in self._informers.values())

    async def stop(self) -> None:
        self._started = False
        await asyncio.gather(*(i.stop() for i in self._informers.values()))

    # -- reads ---------------------------------------------------------------------------------------------------

    def informer_for(self, gvk: GVK, namespace: str | None = None) -> Informer:
        """The informer to read `gvk` in `namespace` from: one whose scope covers it, unfiltered ones first (of
        whole objects: a metadata-only informer is never read from)."""
        of_kind = [i for (g, _, _), i in self._informers.items() if g == gvk and not i.metadata_only]
        candidates = [i for i in of_kind if i.covers(namespace)]
        if not candidates and namespace is None:
            # A namespace-scoped cache answers "all namespaces" with all of the namespaces it watches.
            candidates = of_kind
        if not candidates:
            raise InformerNotFound(f"no informer for {gvk} in namespace {namespace or '<all>'}")
        candidates.sort(key=lambda i: i.label_selector is not None)
        return candidates[0]

    def get(self, gvk: GVK, name: str, namespace: str | None = None) -> Obj | None:
        return self.informer_for(gvk, namespace).get(name, namespace)

    def list(self, gvk: GVK, namespace: str | None = None, label_selector: str | None = None) -> list[Obj]:
        return self.informer_for(gvk, namespace).list(namespace, label_selector)
