"""An async client for any group/version/kind. Objects are plain JSON dicts, decoded once (`decode.loads`: as
`json.loads`, with repeated strings shared across objects)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, Unpack

import aiohttp
import structlog
from prometheus_client import CollectorRegistry

from teamop.runtime import decode
from teamop.runtime.errors import ApiConnectionError, Gone, error_from_status
from teamop.runtime.kinds import GVK, KindRegistry, ResourceInfo, gvk_of
from teamop.runtime.kubeconfig import ApiClient
from teamop.runtime.requestcount import RequestCounter
from teamop.runtime.transport import Query, RetryPolicy, Transport, load_in_cluster, load_kubeconfig

log = structlog.get_logger(__name__)

FIELD_MANAGER = "team-operator"
LIST_PAGE_SIZE = 500
STRICT = "Strict"
"""`fieldValidation` of creates, applies and updates."""

EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]

# Lists and watches of metadata only (client-go's metadata informers): objects come as PartialObjectMetadata.
_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
_METADATA_WATCH = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"

_PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}


class ClientOptions(TypedDict, total=False):
    """What `Client.from_kubeconfig`, `Client.in_cluster` and `Client.auto` pass on to `Client` (defaults as
    there)."""

    qps: float | None
    burst: int | None
    field_manager: str
    registry: CollectorRegistry | None


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: EventType
    object: dict[str, Any]


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _loads(body: bytes) -> dict[str, Any]:
    decoded = decode.loads(body)
    if not isinstance(decoded, dict):
        raise ValueError("expected a JSON object from the API server")
    return decoded


def resource_path(
    info: ResourceInfo, namespace: str | None = None, name: str | None = None, subresource: str | None = None
) -> str:
    gvk = info.gvk
    path = f"/apis/{gvk.group}/{gvk.version}" if gvk.group else f"/api/{gvk.version}"
    if info.namespaced and namespace:
        path += f"/namespaces/{namespace}"
    path += f"/{info.plural}"
    if name is not None:
        path += f"/{name}"
        if subresource:
            path += f"/{subresource}"
    return path


def _object_name(obj: Mapping[str, Any]) -> tuple[str, str | None]:
    metadata = obj.get("metadata") or {}
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("object has no metadata.name")
    namespace = metadata.get("namespace")
    return name, namespace if isinstance(namespace, str) and namespace else None


def _require_namespace(info: ResourceInfo, namespace: str | None) -> str | None:
    if not info.namespaced:
        return None
    if not namespace:
        raise ValueError(f"{info.gvk} is namespaced: a namespace is required")
    return namespace


class Client:
    """Get, list, watch, create, apply, patch, replace and delete any kind; typed errors from `errors`.

    Writes send `fieldManager` (default "team-operator") so every field the operator sets is attributed to it.
    Creates, applies and updates send `fieldValidation=Strict`: a field the server does not know (which it would
    drop, so that the same write would go out on every reconcile) or that is given twice is refused (`BadRequest`;
    a server-side apply refuses an unknown field whatever the validation).
    With `dry_run`, every write is sent with `dryRun=All`: the server checks it and answers with the object as it
    would be, and stores nothing.
    """

    def __init__(
        self,
        api_client: ApiClient,
        *,
        qps: float | None = None,
        burst: int | None = None,
        field_manager: str = FIELD_MANAGER,
        registry: CollectorRegistry | None = None,
        retry: RetryPolicy | None = None,
        dry_run: bool = False,
    ) -> None:
        self.field_manager = field_manager
        self.dry_run = dry_run
        self.requests = RequestCounter(registry)
        self._registry = registry
        self._transport = Transport(api_client, counter=self.requests, qps=qps, burst=burst, retry=retry)
        self.kinds = KindRegistry(self._discovery)

    @classmethod
    async def from_kubeconfig(cls, path: str | None = None, context: str | None = None,
                              **options: Unpack[ClientOptions]) -> Client:
        config = await load_kubeconfig(path, context)
        return cls(ApiClient(config), **options)

    @classmethod
    async def in_cluster(cls, **options: Unpack[ClientOptions]) -> Client:
        config = load_in_cluster()
        return cls(ApiClient(config), **options)

    @classmethod
    async def auto(cls, path: str | None = None, context: str | None = None,
                   **options: Unpack[ClientOptions]) -> Client:
        """In-cluster config inside a pod (unless a kubeconfig is named), else the kubeconfig."""
        if path is None and not os.environ.get("KUBECONFIG") and os.environ.get("KUBERNETES_SERVICE_HOST"):
            return await cls.in_cluster(**options)
        return await cls.from_kubeconfig(path, context, **options)

    def detached(self) -> Client:
        """A client of the same API server and user with connections of its own, no client-side throttle and its
        own request counts (leader election's: a lease renewal never waits behind other requests). Create it
        inside the event loop that uses it."""
        return Client(ApiClient(self._transport.config), field_manager=self.field_manager, registry=self._registry)

    def fence_writes(self, reason: str) -> None:
        """Refuse every later write (`WritesFenced`, nothing sent); reads go on. For a leader that lost its lease."""
        self._transport.fence_writes(reason)

    def connections(self) -> tuple[int, int]:
        """Connections open to the API server: (requests', watches')."""
        return self._transport.connections()

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _discovery(self, path: str) -> Mapping[str, Any]:
        response = await self._transport.request("GET", path, verb="discovery", resource=path, idempotent=True)
        return _loads(response.body)

    # -- reads ---------------------------------------------------------------------------------------------------

    async def get(self, gvk: GVK, name: str, namespace: str | None = None) -> dict[str, Any]:
        info = await self.kinds.resolve(gvk)
        path = resource_path(info, _require_namespace(info, namespace), name)
        response = await self._transport.request("GET", path, verb="get", resource=info.plural, idempotent=True)
        return _loads(response.body)

    async def list(
        self,
        gvk: GVK,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = LIST_PAGE_SIZE,
        resource_version: str | None = None,
        metadata_only: bool = False,
    ) -> tuple[list[dict[str, Any]], str]:
        """All matching objects (apiVersion and kind filled in) and the list's resourceVersion.

        Reads in pages of `page_size`; if a continue token expires midway, lists again without paging.
        `resource_version` as client-go's reflector: None reads the latest state from etcd (a quorum read); "0"
        any state the API server's watch cache holds; a version, that version or newer (NotOlderThan, also from
        the watch cache). With `metadata_only` the objects hold their metadata only.
        """
        info = await self.kinds.resolve(gvk)
        path = resource_path(info, namespace if info.namespaced else None)
        base: list[tuple[str, str]] = []
        if label_selector:
            base.append(("labelSelector", label_selector))
        if field_selector:
            base.append(("fieldSelector", field_selector))
        items: list[dict[str, Any]] = []
        continue_token = ""
        requested, resource_version = resource_version, ""
        limit = page_size
        while True:
            query = [*base]
            if limit:
                query.append(("limit", str(limit)))
            if continue_token:
                query.append(("continue", continue_token))  # the token carries the version of the first page
            elif requested is not None:
                query.append(("resourceVersion", requested))
                if requested != "0":
                    query.append(("resourceVersionMatch", "NotOlderThan"))
            try:
                response = await self._transport.request(
                    "GET", path, verb="list", resource=info.plural, query=query, idempotent=True,
                    accept=_METADATA_LIST if metadata_only else None,
                )
            except Gone:
                if not continue_token:
                    raise
                log.info("list continue token expired, listing without pages", resource=info.plural)
                items, continue_token, limit = [], "", 0
                continue
            page = _loads(response.body)
            metadata = page.get("metadata") or {}
            resource_version = metadata.get("resourceVersion", resource_version)
            page_items = page.get("items") or []
            api_version, kind = gvk.api_version, gvk.kind
            for item in page_items:
                item["apiVersion"] = api_version
                item["kind"] = kind
            items.extend(page_items)
            continue_token = metadata.get("continue") or ""
            if not continue_token:
                return items, resource_version

    async def watch(
        self,
        gvk: GVK,
        namespace: str | None,
        resource_version: str,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        timeout_seconds: int = 300,
        idle_timeout: float | None = None,
        metadata_only: bool = False,
    ) -> AsyncGenerator[WatchEvent, None]:
        """Events after `resource_version`, bookmarks included, until the server ends the watch.

        An ERROR event raises its typed error (`Gone` for 410); a broken stream raises `ApiConnectionError`, also
        when nothing at all arrived for `idle_timeout` seconds (default: the watch's timeout and 30 s more) — the
        API server sends a bookmark about every minute, so a longer silence is a dead connection.
        Close the iterator (`contextlib.aclosing`) when leaving early.
        """
        info = await self.kinds.resolve(gvk)
        path = resource_path(info, namespace if info.namespaced else None)
        query: Query = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("resourceVersion", resource_version),
            ("timeoutSeconds", str(timeout_seconds)),
            *([("labelSelector", label_selector)] if label_selector else []),
            *([("fieldSelector", field_selector)] if field_selector else []),
        ]
        async with self._transport.stream(
            path, verb="watch", resource=info.plural, query=query,
            read_timeout=idle_timeout if idle_timeout is not None else timeout_seconds + 30,
            accept=_METADATA_WATCH if metadata_only else None,
        ) as response:
            buffer = bytearray()
            chunks = response.content.iter_any()
            while True:
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    return
                except (aiohttp.ClientError, TimeoutError, ConnectionError) as error:
                    raise ApiConnectionError(f"watch {info.plural}: {type(error).__name__}: {error}") from error
                buffer += chunk
                start = 0
                while (end := buffer.find(b"\n", start)) >= 0:
                    line = buffer[start:end]
                    start = end + 1
                    if line.strip():
                        yield _watch_event(line)
                del buffer[:start]

    # -- writes --------------------------------------------------------------------------------------------------

    async def create(self, obj: Mapping[str, Any], *, field_manager: str | None = None) -> dict[str, Any]:
        info = await self.kinds.resolve(gvk_of(obj))
        namespace = (obj.get("metadata") or {}).get("namespace")  # the name may be a generateName
        path = resource_path(info, _require_namespace(info, namespace))
        response = await self._transport.request(
            "POST", path, verb="create", resource=info.plural,
            query=self._write_query([("fieldManager", field_manager or self.field_manager),
                                     ("fieldValidation", STRICT)]),
            body=_dumps(obj), content_type="application/json", idempotent=False,
        )
        return _loads(response.body)

    async def apply(
        self,
        obj: Mapping[str, Any],
        *,
        force: bool = True,
        subresource: str | None = None,
        field_validation: str | None = STRICT,
        field_manager: str | None = None,
    ) -> dict[str, Any]:
        """Server-side apply: the object says every field this manager owns. Returns the object after the apply."""
        info = await self.kinds.resolve(gvk_of(obj))
        name, namespace = _object_name(obj)
        path = resource_path(info, _require_namespace(info, namespace), name, subresource)
        metadata = obj.get("metadata") or {}
        if "managedFields" in metadata:  # the server refuses an apply that carries managedFields
            obj = {**obj, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}
        query = [("fieldManager", field_manager or self.field_manager), ("force", "true" if force else "false")]
        if field_validation:
            query.append(("fieldValidation", field_validation))
        response = await self._transport.request(
            "PATCH", path, verb="apply", resource=_label(info, subresource), query=self._write_query(query),
            body=_dumps(obj), content_type="application/apply-patch+yaml", idempotent=True,
        )
        return _loads(response.body)

    async def patch(
        self,
        gvk: GVK,
        name: str,
        namespace: str | None,
        patch: Any,
        *,
        patch_type: Literal["merge", "json", "strategic"] = "merge",
        subresource: str | None = None,
        field_manager: str | None = None,
    ) -> dict[str, Any]:
        info = await self.kinds.resolve(gvk)
        path = resource_path(info, _require_namespace(info, namespace), name, subresource)
        body = patch if isinstance(patch, bytes) else patch.encode() if isinstance(patch, str) else _dumps(patch)
        response = await self._transport.request(
            "PATCH", path, verb="patch", resource=_label(info, subresource),
            query=self._write_query([("fieldManager", field_manager or self.field_manager)]),
            body=body, content_type=_PATCH_CONTENT_TYPES[patch_type],
            # a JSON patch may append to lists, so it is not safe to send twice
            idempotent=patch_type != "json",
        )
        return _loads(response.body)

    async def replace(
        self, obj: Mapping[str, Any], *, subresource: str | None = None, field_manager: str | None = None
    ) -> dict[str, Any]:
        """PUT the whole object (e.g. status with its resourceVersion: a stale one raises `Conflict`)."""
        info = await self.kinds.resolve(gvk_of(obj))
        name, namespace = _object_name(obj)
        path = resource_path(info, _require_namespace(info, namespace), name, subresource)
        response = await self._transport.request(
            "PUT", path, verb="update", resource=_label(info, subresource),
            query=self._write_query([("fieldManager", field_manager or self.field_manager),
                                     ("fieldValidation", STRICT)]),
            body=_dumps(obj), content_type="application/json", idempotent=True,
        )
        return _loads(response.body)

    async def delete(
        self,
        gvk: GVK,
        name: str,
        namespace: str | None = None,
        *,
        propagation_policy: str = "Background",
        uid: str | None = None,
    ) -> None:
        """Delete; with `uid`, only that incarnation of the object (a newer one of the same name raises Conflict)."""
        info = await self.kinds.resolve(gvk)
        path = resource_path(info, _require_namespace(info, namespace), name)
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation_policy}
        if uid:
            options["preconditions"] = {"uid": uid}
        await self._transport.request(
            "DELETE", path, verb="delete", resource=info.plural, query=self._write_query([]),
            body=_dumps(options), content_type="application/json", idempotent=True,
        )

    def _write_query(self, query: Query) -> Query:
        return [*query, ("dryRun", "All")] if self.dry_run else query


def _label(info: ResourceInfo, subresource: str | None) -> str:
    return f"{info.plural}/{subresource}" if subresource else info.plural


def _watch_event(line: bytes | bytearray) -> WatchEvent:
    event = decode.loads(line)
    kind = event.get("type")
    obj = event.get("object") or {}
    if kind == "ERROR":
        raise error_from_status(obj)
    if kind not in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK"):
        raise ApiConnectionError(f"unexpected watch event type {kind!r}")
    return WatchEvent(kind, obj)
