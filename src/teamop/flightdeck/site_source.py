"""Where the server learns about its Site. `SiteSource` is the interface the web app reads; `KubernetesSiteSource`
lists and watches the one Site in the API (reconnecting with backoff), `StaticSiteSource` is fed by hand (tests,
previews)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import aiohttp
import structlog
from kubernetes_asyncio import client as k8s

GROUP = "core.posit.team"
VERSION = "v1beta1"
PLURAL = "sites"

WATCH_SECONDS = 290
"""Server-side watch timeout; the watch is then resumed from the last resourceVersion."""
LIST_TIMEOUT = aiohttp.ClientTimeout(total=15)
WATCH_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=WATCH_SECONDS + 30)
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0

log = structlog.get_logger("teamop.flightdeck.site")

Site = Mapping[str, Any]


@dataclass(frozen=True)
class SiteSnapshot:
    """What is known about the Site right now."""

    read: bool = False
    """The Site has been read (or found absent) at least once."""
    site: Site | None = None
    """The Site object as last read; None before the first read and when it does not exist."""
    stale: bool = False
    """The API could not be reached since the last read: `site` may be out of date."""
    read_at: float | None = None
    """When the API last answered (time.time())."""

    @property
    def spec(self) -> Mapping[str, Any]:
        spec = (self.site or {}).get("spec")
        return spec if isinstance(spec, Mapping) else {}


class SiteSource(Protocol):
    def snapshot(self) -> SiteSnapshot: ...

    async def start(self) -> None:
        """Begin following the Site (returns at once; following goes on in the background)."""

    async def close(self) -> None: ...


class StaticSiteSource:
    """A Site given by hand: `publish()` a new version, `mark_stale()` to play an unreachable API."""

    def __init__(self, site: Site | None = None, *, read: bool = True) -> None:
        self._snapshot = SiteSnapshot(read=read, site=site, read_at=time.time() if read else None)

    def snapshot(self) -> SiteSnapshot:
        return self._snapshot

    def publish(self, site: Site | None) -> None:
        self._snapshot = SiteSnapshot(read=True, site=site, read_at=time.time())

    def mark_stale(self) -> None:
        self._snapshot = replace(self._snapshot, stale=True)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class WatchExpired(Exception):
    """The watch's resourceVersion is too old (410 Gone): list again."""


class WatchFailed(Exception):
    """The API server refused the watch request."""

    def __init__(self, status: int, reason: str | None) -> None:
        super().__init__(f"watch refused: {status} {reason or ''}".strip())
        self.status = status
        self.reason = reason


class KubernetesSiteSource:
    """Follows one Site with list+watch (`metadata.name` field selector), as an informer of one object would."""

    def __init__(self, api_client: k8s.ApiClient, namespace: str, name: str) -> None:
        self._api = k8s.CustomObjectsApi(api_client)
        self._namespace = namespace
        self._name = name
        self._snapshot = SiteSnapshot()
        self._task: asyncio.Task[None] | None = None

    def snapshot(self) -> SiteSnapshot:
        return self._snapshot

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._follow(), name=f"site-source-{self._namespace}-{self._name}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _set(self, snapshot: SiteSnapshot) -> None:
        self._snapshot = snapshot

    def _seen(self, site: Site | None) -> None:
        self._set(SiteSnapshot(read=True, site=site, read_at=time.time()))

    async def _follow(self) -> None:
        delay = BACKOFF_FIRST
        while True:
            try:
                resource_version = await self._list()
                delay = BACKOFF_FIRST
                while True:
                    resource_version = await self._watch(resource_version)
            except WatchExpired:
                log.debug("site watch expired, listing again")
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure means: back off, then list again
                if not self._snapshot.stale and self._snapshot.read:
                    self._set(replace(self._snapshot, stale=True))
                log.warning(
                    "cannot read the site; retrying", site=self._name, namespace=self._namespace,
                    error=_describe(error), retry_in=round(delay, 2),
                    showing="the last known page, marked stale" if self._snapshot.read else "the waiting page",
                )
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, BACKOFF_MAX)

    def _selector(self) -> str:
        return f"metadata.name={self._name}"

    async def _list(self) -> str:
        result: dict[str, Any] = await self._api.list_namespaced_custom_object(
            GROUP, VERSION, self._namespace, PLURAL, field_selector=self._selector(), _request_timeout=LIST_TIMEOUT
        )
        items = result.get("items") or []
        site = items[0] if items else None
        if site is None and not self._snapshot.read:
            log.info("site not found yet", site=self._name, namespace=self._namespace)
        self._seen(site)
        resource_version: str = result.get("metadata", {}).get("resourceVersion", "")
        return resource_version

    async def _watch(self, resource_version: str) -> str:
        """One watch request; returns the resourceVersion to resume from when the server ends it."""
        response = await self._api.list_namespaced_custom_object(
            GROUP, VERSION, self._namespace, PLURAL,
            field_selector=self._selector(), watch=True, allow_watch_bookmarks=True,
            resource_version=resource_version, timeout_seconds=WATCH_SECONDS,
            _preload_content=False, _request_timeout=WATCH_TIMEOUT,
        )
        started = time.monotonic()
        try:
            # With _preload_content=False the client does not check the status itself.
            if response.status == 410:
                raise WatchExpired()
            if not 200 <= response.status < 300:
                raise WatchFailed(response.status, response.reason)
            async for line in _lines(response):
                resource_version = self._apply(json.loads(line), resource_version)
        finally:
            response.release()
        if time.monotonic() - started < 1:
            await asyncio.sleep(BACKOFF_FIRST)  # a watch the server ends at once must not become a busy loop
        return resource_version

    def _apply(self, event: Mapping[str, Any], resource_version: str) -> str:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise WatchExpired()
            raise RuntimeError(f"watch error {obj.get('code')}: {obj.get('reason')}")
        new_version = str(obj.get("metadata", {}).get("resourceVersion") or resource_version)
        if kind in ("ADDED", "MODIFIED"):
            self._seen(obj)
        elif kind == "DELETED":
            self._seen(None)
        return new_version


async def _lines(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    while True:
        line = await response.content.readline()
        if not line:
            return
        if line.strip():
            yield line


def _describe(error: BaseException) -> str:
    """A short reason for the log: type and status, never a response body (which could echo anything)."""
    status = getattr(error, "status", None)
    reason = getattr(error, "reason", None)
    if status is not None:
        return f"{type(error).__name__} {status} {reason or ''}".strip()
    return f"{type(error).__name__}: {error}"
