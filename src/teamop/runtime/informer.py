"""A shared informer: list, then watch from the list's resourceVersion, keeping a store and telling handlers.

As client-go's reflector:
- the first list is served from the API server's watch cache (`resourceVersion=0`), a later one from the last
  version seen or newer (`NotOlderThan`), and only after `410 Gone` from etcd (a quorum read);
- a broken watch, and one the server refuses with 429 or 5xx, resume from the last resourceVersion seen after a
  jittered backoff (Retry-After honoured), without listing again; only when the server no longer has that version
  (`410 Gone`, as after an API server restart) does the informer list again and diff the result against the
  store, so handlers see a delete for every object that vanished in the gap and an add or update for every change.

Unlike client-go (watches of 5 to 10 minutes, dead connections found by HTTP/2 pings; aiohttp speaks HTTP/1.1), a
watch lasts about a minute (`watch_timeout`) and one silent for 30 s longer is taken for a dead connection (a peer
or middlebox that stopped forwarding) and resumed: noticed within two minutes. A healthy watch is never that
silent, even where nothing changes: the API server sends a bookmark two seconds before it ends a watch (its
periodic bookmarks only start two minutes into a watch). The price is one watch request a minute per informer.
A namespace scope that is a list runs one list+watch per namespace, all behind the one store.

Each object is passed through the informer's `transform` (see `cachetransform`: what the cache keeps of it) and
frozen (`frozen`) before it is stored: handlers and readers get read-only objects, shared by all, at no cost.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from teamop.runtime.cachetransform import Transform
from teamop.runtime.client import Client, WatchEvent
from teamop.runtime.errors import ApiConnectionError, ApiError, Gone
from teamop.runtime.frozen import freeze
from teamop.runtime.kinds import GVK
from teamop.runtime.store import IndexFunc, Key, Obj, Store, key_of

log = structlog.get_logger(__name__)

WATCH_TIMEOUT = 60
"""Seconds a watch lasts (spread up to a third more, so that informers do not all renew at once)."""
WATCH_IDLE_MARGIN = 30.0
"""Seconds of silence past a watch's timeout after which its connection is taken for dead."""


class SyncFailed(RuntimeError):
    """The informer could not list its objects (the message says why: forbidden, no such kind, ...)."""


class EventHandler(Protocol):
    """Receives the informer's notifications. Called synchronously on the event loop: must not block.

    Subclass to inherit no-op defaults for the methods you do not need. An exception is logged and dropped.
    """

    def on_add(self, obj: Obj) -> None:
        return None

    def on_update(self, old: Obj, new: Obj) -> None:
        return None

    def on_delete(self, obj: Obj) -> None:
        return None


@dataclass(frozen=True)
class Backoff:
    """Jittered exponential delay between reconnect attempts."""

    base: float = 0.5
    cap: float = 10.0

    def delay(self, failures: int) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** min(failures, 20))
        return random.uniform(ceiling / 2, ceiling)


Scope = str | Sequence[str] | None
ObjList = list[Obj]


def normalize_namespaces(namespace: Scope) -> tuple[str, ...] | None:
    """None (all namespaces) or a sorted tuple of distinct namespaces."""
    if namespace is None or namespace == "":
        return None
    if isinstance(namespace, str):
        return (namespace,)
    namespaces = tuple(sorted({ns for ns in namespace if ns}))
    return namespaces or None


class Informer:
    def __init__(
        self,
        client: Client,
        gvk: GVK,
        *,
        namespace: Scope = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        backoff: Backoff | None = None,
        watch_timeout: int = WATCH_TIMEOUT,
        transform: Transform | None = None,
        metadata_only: bool = False,
    ) -> None:
        """`transform`: what the store keeps of each object; `metadata_only`: list and watch the objects'
        metadata only (PartialObjectMetadata), for informers whose readers need nothing else."""
        self.client = client
        self.gvk = gvk
        self.namespaces = normalize_namespaces(namespace)
        self.label_selector = label_selector or None
        self.field_selector = field_selector or None
        self.store = Store()
        self.backoff = backoff or Backoff()
        self.watch_timeout = watch_timeout
        self.transform = transform
        self.metadata_only = metadata_only
        self._handlers: list[EventHandler] = []
        self._task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()
        self._stopped = asyncio.Event()
        self._resource_versions: dict[str | None, str] = {}
        # How often the informer had to recover: lists after each scope's first one, and lost connections.
        self.relists = 0
        self.disconnects = 0
        self.lists = 0  # LIST requests sent (the first list of a scope included)
        self.bookmarks = 0  # bookmarks received
        self.watches = 0  # watch requests sent
        self.last_list_error: BaseException | None = None
        self._list_failed = asyncio.Event()  # set while the last list of some scope failed
        self._log = log.bind(kind=str(gvk), namespaces=self.namespaces, label_selector=self.label_selector)

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._stopped.clear()
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"informer {self.gvk}")

    async def stop(self) -> None:
        self._stopped.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    @property
    def started(self) -> bool:
        return self._task is not None

    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_for_sync(self, timeout: float | None = None, *, fail_on_list_error: bool = False) -> None:
        """Wait until every scope has been listed once. Raises TimeoutError (naming the last list error), or
        RuntimeError if stopped first; with `fail_on_list_error`, `SyncFailed` as soon as a list fails (the
        informer itself keeps trying, with backoff)."""
        if self._synced.is_set():
            return
        waits = [self._synced.wait(), self._stopped.wait(), *([self._list_failed.wait()] if fail_on_list_error else [])]
        futures = [asyncio.ensure_future(wait) for wait in waits]
        try:
            done, _ = await asyncio.wait(futures, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in futures:
                future.cancel()
        if self._synced.is_set():
            return
        if self._stopped.is_set():
            raise RuntimeError(f"informer for {self.gvk} stopped before it synced")
        if done:
            raise SyncFailed(f"cannot list {self._describe_scope()}: {self._last_error_text()}")
        raise TimeoutError(f"informer for {self.gvk} did not sync within {timeout} s"
                           + (f" (last list error: {self._last_error_text()})" if self.last_list_error else ""))

    def _describe_scope(self) -> str:
        where = f"in namespace(s) {', '.join(self.namespaces)}" if self.namespaces else "in all namespaces"
        selector = f" with label selector {self.label_selector}" if self.label_selector else ""
        return f"{self.gvk} {where}{selector}"

    def _last_error_text(self) -> str:
        error = self.last_list_error
        if error is None:
            return "no error"
        return str(error) if isinstance(error, ApiError) else f"{type(error).__name__}: {error}"

    @property
    def resource_version(self) -> str | None:
        """The last resourceVersion seen (single-scope informers)."""
        return next(iter(self._resource_versions.values()), None) if len(self._resource_versions) == 1 else None

    # -- handlers and indexes ------------------------------------------------------------------------------------

    def add_handler(self, handler: EventHandler) -> None:
        """Register a handler; it first receives `on_add` for every object already in the store."""
        self._handlers.append(handler)
        for obj in self.store.list():
            self._call(handler, "on_add", obj)

    def remove_handler(self, handler: EventHandler) -> None:
        self._handlers.remove(handler)

    def resync(self) -> None:
        """Tell every handler `on_update(obj, obj)` for every cached object (client-go's periodic resync);
        no request is made."""
        for obj in self.store.list():
            self._notify_update(obj, obj)

    def add_index(self, name: str, func: IndexFunc) -> None:
        self.store.add_index(name, func)

    def add_label_index(self, label_key: str) -> str:
        return self.store.add_label_index(label_key)

    # -- reads (read-only objects, shared by every reader) ------------------------------------------------------

    def get(self, name: str, namespace: str | None = None) -> Obj | None:
        return self.store.get(name, namespace)

    def list(self, namespace: str | None = None, label_selector: str | None = None) -> ObjList:
        return self.store.list(namespace, label_selector)

    def by_index(self, name: str, value: str) -> ObjList:
        return self.store.by_index(name, value)

    def covers(self, namespace: str | None) -> bool:
        """Whether this informer's scope holds every object of `namespace` (None: of all namespaces)."""
        if self.namespaces is None:
            return True
        return namespace is not None and namespace in self.namespaces

    # -- the loop ------------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                info = await self.client.kinds.resolve(self.gvk)
                break
            except Exception as error:  # NoKindMatch while a CRD is being installed, or the server is away
                delay = self.backoff.delay(failures)
                failures += 1
                self._log.warning("cannot resolve kind, retrying", error=str(error), delay=round(delay, 2))
                await asyncio.sleep(delay)
        scopes: list[str | None] = list(self.namespaces) if info.namespaced and self.namespaces else [None]
        pending = set(scopes)

        def synced(scope: str | None) -> None:
            pending.discard(scope)
            if not pending:
                self._synced.set()
                self._log.debug("informer synced", objects=len(self.store))

        await asyncio.gather(*(self._run_scope(scope, synced) for scope in scopes))

    async def _run_scope(self, namespace: str | None, on_first_sync: Callable[[str | None], None]) -> None:
        """List, then watch for ever (see the module's docstring). Nothing but cancellation ends the loop."""
        resource_version: str | None = None  # where the watch resumes; None: list first
        list_from: str | None = "0"  # what the next list asks for: the watch cache, a version or newer, or etcd
        failures = 0
        gones = 0
        first = True
        while True:
            if resource_version is None:
                try:
                    resource_version = await self._relist(namespace, list_from)
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    self.last_list_error = error
                    self._list_failed.set()
                    delay = self.backoff.delay(failures)
                    failures += 1
                    self._log.warning("list failed, retrying after backoff", namespace=namespace,
                                      error=self._last_error_text(), delay=round(delay, 2))
                    await asyncio.sleep(delay)
                    continue
                self.last_list_error = None
                self._list_failed.clear()
                self._resource_versions[namespace] = resource_version
                if first:
                    first = False
                    on_first_sync(namespace)
                else:
                    self.relists += 1
            try:
                started = time.monotonic()
                progressed = await self._watch(namespace, resource_version)
                resource_version = self._resource_versions[namespace]
                if progressed or time.monotonic() - started > 1.0:
                    failures = gones = 0
                else:  # the server closed an empty watch at once: do not spin
                    await asyncio.sleep(self.backoff.delay(failures))
                    failures += 1
            except asyncio.CancelledError:
                raise
            except Gone:
                self._log.info("resourceVersion expired (410 Gone), listing again", namespace=namespace)
                resource_version, list_from = None, None  # the version is gone: read the latest from etcd
                if gones:  # a fresh list's version expired at once: something is off, slow down
                    await asyncio.sleep(self.backoff.delay(gones))
                gones += 1
            except ApiError as error:
                if not _resumable(error):
                    # The watch itself is refused (e.g. forbidden): list again, from the last version seen.
                    resource_version, list_from = None, self._resource_versions.get(namespace, "0")
                # A lost or silent connection, or a server too busy (429, 5xx): the version is still good, so
                # resume from it once the backoff is over, as client-go does, without listing again.
                delay = self.backoff.delay(failures)
                if error.retry_after is not None:
                    delay = max(delay, min(error.retry_after, self.backoff.cap * 6))
                failures += 1
                if resource_version is not None:
                    resource_version = self._resource_versions[namespace]
                if isinstance(error, ApiConnectionError):
                    self.disconnects += 1
                self._log.warning(
                    "watch ended, resuming after backoff" if resource_version is not None
                    else "watch refused, listing again after backoff", namespace=namespace,
                    error=str(error), delay=round(delay, 2),
                )
                await asyncio.sleep(delay)
            except Exception as error:
                delay = self.backoff.delay(failures)
                failures += 1
                self._log.warning(
                    "watch failed, listing again after backoff", namespace=namespace,
                    error=f"{type(error).__name__}: {error}", delay=round(delay, 2),
                )
                resource_version, list_from = None, self._resource_versions.get(namespace, "0")
                await asyncio.sleep(delay)

    async def _relist(self, namespace: str | None, list_from: str | None) -> str:
        try:
            items, resource_version = await self._list(namespace, list_from)
        except ApiError as error:
            if list_from in (None, "0") or not (isinstance(error, Gone) or error.status == 504):
                raise
            # The version asked for is too old or too new for the watch cache (504: an etcd restored from a
            # backup): read the latest from etcd instead.
            items, resource_version = await self._list(namespace, None)
        self._replace(namespace, [self._prepare(item) for item in items])
        return resource_version

    async def _list(self, namespace: str | None, resource_version: str | None) -> tuple[ObjList, str]:
        self.lists += 1
        return await self.client.list(
            self.gvk, namespace, label_selector=self.label_selector, field_selector=self.field_selector,
            resource_version=resource_version, metadata_only=self.metadata_only,
        )

    def _prepare(self, obj: Obj) -> Obj:
        """What the store keeps of `obj`: transformed, and read-only."""
        prepared: Obj = freeze(self.transform(obj) if self.transform is not None else obj)
        return prepared

    def _replace(self, namespace: str | None, items: ObjList) -> None:
        """Make the scope's part of the store equal `items`, telling handlers about each difference."""
        fresh: dict[Key, Obj] = {key_of(obj): obj for obj in items}
        for key in self.store.keys(namespace) - fresh.keys():
            gone = self.store.remove(key)
            if gone is not None:
                self._notify_delete(gone)
        for key, obj in fresh.items():
            old = self.store.get_by_key(key)
            if old is None:
                self.store.put(obj)
                self._notify_add(obj)
            elif _resource_version(old) != _resource_version(obj):
                self.store.put(obj)
                self._notify_update(old, obj)

    async def _watch(self, namespace: str | None, resource_version: str) -> bool:
        """Follow one watch until the server ends it; True if any event arrived."""
        progressed = False
        # As client-go: spread watch timeouts so that many informers do not reconnect at once.
        timeout = int(self.watch_timeout * random.uniform(1.0, 4 / 3))
        self.watches += 1
        stream = self.client.watch(
            self.gvk, namespace, resource_version, label_selector=self.label_selector,
            field_selector=self.field_selector, timeout_seconds=timeout, idle_timeout=timeout + WATCH_IDLE_MARGIN,
            metadata_only=self.metadata_only,
        )
        async with aclosing(stream) as events:
            async for event in events:
                progressed = True
                self._apply(event)
                rv = event.object.get("metadata", {}).get("resourceVersion")
                if rv:
                    self._resource_versions[namespace] = rv
        return progressed

    def _apply(self, event: WatchEvent) -> None:
        if event.type == "BOOKMARK":
            self.bookmarks += 1
            return
        obj = self._prepare(event.object)
        if event.type == "DELETED":
            self.store.remove(key_of(obj))
            self._notify_delete(obj)
            return
        old = self.store.put(obj)
        if old is None:
            self._notify_add(obj)
        else:
            self._notify_update(old, obj)

    # -- notification --------------------------------------------------------------------------------------------

    def _notify_add(self, obj: Obj) -> None:
        for handler in self._handlers:
            self._call(handler, "on_add", obj)

    def _notify_update(self, old: Obj, new: Obj) -> None:
        for handler in self._handlers:
            self._call(handler, "on_update", old, new)

    def _notify_delete(self, obj: Obj) -> None:
        for handler in self._handlers:
            self._call(handler, "on_delete", obj)

    def _call(self, handler: EventHandler, method: str, *objs: Obj) -> None:
        try:
            getattr(handler, method)(*objs)
        except Exception:
            metadata = objs[-1].get("metadata", {})
            self._log.exception(
                "event handler failed", handler=type(handler).__name__, method=method,
                name=metadata.get("name"), namespace=metadata.get("namespace"),
            )


def _resource_version(obj: Obj) -> Any:
    return obj.get("metadata", {}).get("resourceVersion")


def _resumable(error: ApiError) -> bool:
    """Whether a watch that failed with `error` can resume from the same resourceVersion: the connection was lost
    or went silent, or the server was too busy to serve it (client-go retries those without listing)."""
    return isinstance(error, ApiConnectionError) or error.status == 429 or error.status >= 500


class FuncHandler(EventHandler):
    """An EventHandler from plain functions; any may be omitted."""

    def __init__(
        self,
        on_add: Callable[[Obj], None] | None = None,
        on_update: Callable[[Obj, Obj], None] | None = None,
        on_delete: Callable[[Obj], None] | None = None,
    ) -> None:
        self._add = on_add
        self._update = on_update
        self._delete = on_delete

    def on_add(self, obj: Obj) -> None:
        if self._add is not None:
            self._add(obj)

    def on_update(self, old: Obj, new: Obj) -> None:
        if self._update is not None:
            self._update(old, new)

    def on_delete(self, obj: Obj) -> None:
        if self._delete is not None:
            self._delete(obj)
