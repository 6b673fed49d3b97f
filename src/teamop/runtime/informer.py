"""A shared informer: list, then watch from the list's resourceVersion, keeping a store and telling handlers.

A broken watch resumes from the last resourceVersion seen; when the server no longer has it (`410 Gone`, as after an
API server restart) the informer lists again and diffs the result against the store, so handlers see a delete for
every object that vanished in the gap and an add or update for every change. Reconnects back off with jitter.
A namespace scope that is a list runs one list+watch per namespace, all behind the one store.

Objects handed to handlers and returned by reads are the cached dicts themselves: never mutate them.
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

from teamop.runtime.client import Client, WatchEvent
from teamop.runtime.errors import ApiConnectionError, Gone
from teamop.runtime.kinds import GVK
from teamop.runtime.store import IndexFunc, Key, Obj, Store, key_of

log = structlog.get_logger(__name__)


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
        watch_timeout: int = 300,
    ) -> None:
        self.client = client
        self.gvk = gvk
        self.namespaces = normalize_namespaces(namespace)
        self.label_selector = label_selector or None
        self.field_selector = field_selector or None
        self.store = Store()
        self.backoff = backoff or Backoff()
        self.watch_timeout = watch_timeout
        self._handlers: list[EventHandler] = []
        self._task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()
        self._stopped = asyncio.Event()
        self._resource_versions: dict[str | None, str] = {}
        # How often the informer had to recover: lists after each scope's first one, and lost connections.
        self.relists = 0
        self.disconnects = 0
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

    async def wait_for_sync(self, timeout: float | None = None) -> None:
        """Wait until every scope has been listed once. Raises TimeoutError, or RuntimeError if stopped first."""
        if self._synced.is_set():
            return
        synced = asyncio.ensure_future(self._synced.wait())
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            done, _ = await asyncio.wait({synced, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            synced.cancel()
            stopped.cancel()
        if self._synced.is_set():
            return
        if not done:
            raise TimeoutError(f"informer for {self.gvk} did not sync within {timeout} s")
        raise RuntimeError(f"informer for {self.gvk} stopped before it synced")

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

    # -- reads (shared objects: do not mutate) -------------------------------------------------------------------

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
        """List, then watch for ever. As client-go's reflector: a dropped watch resumes from the last
        resourceVersion seen (the server then sends every change since, deletions included) and only when the
        server no longer has that version (410 Gone, e.g. after an API server restart) is the scope listed again
        and diffed against the store. Errors back off with jitter; nothing but cancellation ends the loop."""
        resource_version: str | None = None
        failures = 0
        gones = 0
        first = True
        while True:
            try:
                if resource_version is None:
                    resource_version = await self._relist(namespace)
                    self._resource_versions[namespace] = resource_version
                    if first:
                        first = False
                        on_first_sync(namespace)
                    else:
                        self.relists += 1
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
                resource_version = None
                if gones:  # a fresh list's version expired at once: something is off, slow down
                    await asyncio.sleep(self.backoff.delay(gones))
                gones += 1
            except ApiConnectionError as error:
                delay = self.backoff.delay(failures)
                failures += 1
                if resource_version is not None:  # the watch broke: resume from the last version seen
                    resource_version = self._resource_versions[namespace]
                self._log.warning(
                    "lost the API server, reconnecting after backoff", namespace=namespace,
                    error=str(error), delay=round(delay, 2), resume=resource_version is not None,
                )
                self.disconnects += 1
                await asyncio.sleep(delay)
            except Exception as error:
                delay = self.backoff.delay(failures)
                failures += 1
                self._log.warning(
                    "list/watch failed, listing again after backoff", namespace=namespace,
                    error=f"{type(error).__name__}: {error}", delay=round(delay, 2),
                )
                resource_version = None
                await asyncio.sleep(delay)

    async def _relist(self, namespace: str | None) -> str:
        items, resource_version = await self.client.list(
            self.gvk, namespace, label_selector=self.label_selector, field_selector=self.field_selector
        )
        self._replace(namespace, items)
        return resource_version

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
        timeout = int(self.watch_timeout * random.uniform(1.0, 2.0))
        stream = self.client.watch(
            self.gvk, namespace, resource_version, label_selector=self.label_selector,
            field_selector=self.field_selector, timeout_seconds=timeout,
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
        obj = event.object
        if event.type == "BOOKMARK":
            return
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
