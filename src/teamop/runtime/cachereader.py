"""The reads `apply` needs, answered by the shared informer cache.

Children are read from the informer of their kind in the manager's scope, selected by the managed-by label — the
same informers `Controller.owns` registers, so nothing is cached twice. A kind nobody registered gets its informer
on first use, as controller-runtime's cache does; the read waits for it to sync at most `sync_timeout` seconds, and
a list that fails (forbidden, say) fails the read at once with the reason: the reconcile fails and is retried.
`observe` tells a callback the key of every object of a kind the informer hears about (the applier's memo of its
own creates needs that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from teamop.runtime.cache import InformerCache
from teamop.runtime.informer import EventHandler, Informer, Scope
from teamop.runtime.kinds import GVK
from teamop.runtime.namedreader import SYNC_TIMEOUT
from teamop.runtime.store import OWNER_UID_INDEX, Obj

# (kind, namespace or None, name): the applier's ObjectKey
KeyCallback = Callable[[tuple[GVK, str | None, str]], None]


class _KeyObserver(EventHandler):
    def __init__(self, gvk: GVK, callback: KeyCallback) -> None:
        self.gvk = gvk
        self.callback = callback

    def on_add(self, obj: Obj) -> None:
        self._tell(obj)

    def on_update(self, old: Obj, new: Obj) -> None:
        self._tell(new)

    def on_delete(self, obj: Obj) -> None:
        self._tell(obj)

    def _tell(self, obj: Obj) -> None:
        metadata = obj.get("metadata") or {}
        self.callback((self.gvk, metadata.get("namespace") or None, metadata.get("name", "")))


class CacheReader:
    def __init__(self, cache: InformerCache, *, namespaces: Scope = None, label_selector: str | None = None,
                 sync_timeout: float = SYNC_TIMEOUT) -> None:
        self.cache = cache
        self.namespaces = namespaces
        self.label_selector = label_selector
        self.sync_timeout = sync_timeout

    async def informer(self, gvk: GVK) -> Informer:
        info = await self.cache.client.kinds.resolve(gvk)
        informer = self.cache.get_informer(
            gvk, namespace=self.namespaces if info.namespaced else None, label_selector=self.label_selector
        )
        if not informer.has_synced:
            informer.start()
            await informer.wait_for_sync(self.sync_timeout, fail_on_list_error=True)
        return informer

    async def get(self, gvk: GVK, name: str, namespace: str | None) -> Mapping[str, Any] | None:
        return (await self.informer(gvk)).get(name, namespace)

    async def controlled_by(self, gvk: GVK, owner_uid: str) -> list[Mapping[str, Any]]:
        return list((await self.informer(gvk)).by_index(OWNER_UID_INDEX, owner_uid))

    async def observe(self, gvk: GVK, callback: KeyCallback) -> None:
        """Call `callback(key)` for every event of the informer that `get` reads `gvk` from."""
        (await self.informer(gvk)).add_handler(_KeyObserver(gvk, callback))
