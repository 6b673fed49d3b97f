"""Objects read by name, for a kind of which teamop reads only the few objects its resources name (the Secrets a
Site points to), without caching every object of the kind in scope (Helm releases, tokens, other apps' data).

- teamop's own objects of the kind (selected by the managed-by label) come from their informer, whole;
- the kind is watched unfiltered as metadata only (`InformerCache.metadata_only`): that informer tells which
  objects exist and their resourceVersion, and its events trigger reconciles (a rotated licence or password
  reaches the product);
- any other object is read with a GET the first time it is asked for, and kept by name until the metadata
  informer reports a newer resourceVersion (or its deletion): then the next read GETs it again. Reads of the
  same object at the same time share one GET (after a restart every controller reads a Site's Secrets at once).
  At most `capacity` objects are kept (the least recently read go first).

Objects are returned read-only (`frozen`), as the cache's.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from teamop.runtime.cache import InformerCache
from teamop.runtime.errors import NotFound
from teamop.runtime.frozen import freeze
from teamop.runtime.informer import EventHandler, Informer, Scope
from teamop.runtime.kinds import GVK
from teamop.runtime.store import Key, Obj, key_of

SYNC_TIMEOUT = 60.0
"""How long a read waits for an informer it starts on demand to list its objects."""


def _version(obj: Obj) -> Any:
    return (obj.get("metadata") or {}).get("resourceVersion")


class _Forget(EventHandler):
    """Drops a kept object as soon as the metadata informer says it changed or went away."""

    def __init__(self, kept: OrderedDict[Key, Obj]) -> None:
        self.kept = kept

    def on_update(self, old: Obj, new: Obj) -> None:
        key = key_of(new)
        kept = self.kept.get(key)
        if kept is not None and _version(kept) != _version(new):
            del self.kept[key]

    def on_delete(self, obj: Obj) -> None:
        self.kept.pop(key_of(obj), None)


class NamedReader:
    def __init__(
        self,
        cache: InformerCache,
        gvk: GVK,
        *,
        namespaces: Scope,
        owned_selector: str | None,
        capacity: int = 1024,
        sync_timeout: float = SYNC_TIMEOUT,
    ) -> None:
        """Marks `gvk` metadata-only in `cache`: create readers before the informers of the kind."""
        self.cache = cache
        self.gvk = gvk
        self.namespaces = namespaces
        self.owned_selector = owned_selector
        self.capacity = capacity
        self.sync_timeout = sync_timeout
        self.gets = 0  # objects read from the API server
        self._kept: OrderedDict[Key, Obj] = OrderedDict()
        self._reading: dict[tuple[Key, Any], asyncio.Future[Obj | None]] = {}
        self._forgetting: Informer | None = None
        cache.metadata_only(gvk)

    async def _synced(self, label_selector: str | None) -> Informer:
        informer = self.cache.get_informer(self.gvk, namespace=self.namespaces, label_selector=label_selector)
        if not informer.has_synced:
            informer.start()
            await informer.wait_for_sync(self.sync_timeout, fail_on_list_error=True)
        return informer

    async def get(self, name: str, namespace: str) -> Obj | None:
        """The object, or None when the cache knows of no such object."""
        if self.owned_selector is not None:
            owned = (await self._synced(self.owned_selector)).get(name, namespace)
            if owned is not None:
                return owned
        existing = await self._synced(None)
        if self._forgetting is not existing:
            existing.add_handler(_Forget(self._kept))
            self._forgetting = existing
        key = (namespace, name)
        known = existing.get(name, namespace)
        if known is None:
            self._kept.pop(key, None)
            return None
        kept = self._kept.get(key)
        if kept is not None and _version(kept) == _version(known):
            self._kept.move_to_end(key)
            return kept
        flight = (key, _version(known))
        reading = self._reading.get(flight)
        if reading is None:
            reading = self._reading[flight] = asyncio.ensure_future(self._read(name, namespace))
            reading.add_done_callback(lambda _: self._reading.pop(flight, None))
        return await asyncio.shield(reading)  # a reader cancelled does not cancel the others' read

    async def _read(self, name: str, namespace: str) -> Obj | None:
        self.gets += 1
        try:
            read: Obj = freeze(await self.cache.client.get(self.gvk, name, namespace))
        except NotFound:
            return None
        key = (namespace, name)
        self._kept[key] = read
        self._kept.move_to_end(key)
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)
        return read

    def kept(self) -> list[Obj]:
        """The objects read by name and kept now."""
        return list(self._kept.values())
