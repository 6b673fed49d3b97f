"""Watches that fail the way production connections do: one that goes silent is noticed and resumed from its
resourceVersion without listing again, and a quiet one is not taken for a silent one; a server too busy to open
one (429, 5xx) is asked again after a backoff, not answered with a relist; lists ask for the versions client-go
asks for; an informer started on demand whose list is forbidden fails the read with the reason instead of waiting
for ever."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from aiohttp import web
from prometheus_client import CollectorRegistry
from tests.flightdeck.tcp_proxy import CuttableProxy

from teamop.runtime.cache import InformerCache
from teamop.runtime.cachereader import CacheReader
from teamop.runtime.client import Client
from teamop.runtime.informer import Backoff, Informer, SyncFailed
from teamop.runtime.kinds import GVK
from teamop.runtime.kubeconfig import ApiClient, Configuration
from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import eventually_async

CONFIGMAP = GVK("", "v1", "ConfigMap")
SECRET = GVK("", "v1", "Secret")


async def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    async def probe() -> bool:
        return check()

    await eventually_async(probe, timeout=timeout, interval=0.05, what=what)


def configmap(name: str, namespace: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"value": value}}


def kubeconfig_through(controlplane: ControlPlane, port: int, path: Path, **user: Any) -> Path:
    """The control plane's kubeconfig with the server at 127.0.0.1:`port` (and `user` fields added)."""
    config = yaml.safe_load(controlplane.kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{port}"
    for entry in config["users"]:
        entry["user"].update(user)
    path.write_text(yaml.safe_dump(config))
    return path


# -- a silent connection, on the real API server --------------------------------------------------------------------


@pytest.fixture
async def proxy(controlplane: ControlPlane) -> AsyncIterator[CuttableProxy]:
    apiserver = urlparse(controlplane.server)
    forwarder = CuttableProxy(apiserver.hostname or "127.0.0.1", apiserver.port or 443)
    await forwarder.open()
    yield forwarder
    await forwarder.cut()


@pytest.mark.controlplane
async def test_a_watch_gone_silent_is_resumed_from_its_version_without_listing_again(
    controlplane: ControlPlane, namespace: str, proxy: CuttableProxy, tmp_path: Path
) -> None:
    kubeconfig = kubeconfig_through(controlplane, proxy.port, tmp_path / "kubeconfig")
    client = await Client.from_kubeconfig(str(kubeconfig), registry=CollectorRegistry())
    # The default watch timeout and idle deadline are what the operator runs with.
    informer = Informer(client, CONFIGMAP, namespace=namespace)
    controlplane.kubectl("create", "configmap", "before", "-n", namespace, "--from-literal=value=1")
    try:
        informer.start()
        await informer.wait_for_sync(timeout=30)
        controlplane.kubectl("create", "configmap", "watched", "-n", namespace, "--from-literal=value=1")
        await until(lambda: informer.get("watched", namespace) is not None, "the watch to stream")
        assert informer.lists == 1
        connections = proxy.connections

        proxy.stall()  # the watch's connection goes silent: no error, no close, no more events
        controlplane.kubectl("create", "configmap", "during", "-n", namespace, "--from-literal=value=2")

        await until(lambda: informer.get("during", namespace) is not None,
                    "the change made while the watch was silent to reach the cache", timeout=120)
        assert informer.disconnects >= 1
        assert proxy.connections > connections  # on a new connection
        assert informer.lists == 1  # resumed from its resourceVersion: no relist
        assert informer.relists == 0
        assert client.requests.snapshot().verb("list") == 1
    finally:
        await informer.stop()
        await client.close()


@pytest.mark.controlplane
async def test_a_quiet_watch_is_renewed_by_the_server_not_taken_for_a_dead_one(
    controlplane: ControlPlane, namespace: str
) -> None:
    client = await Client.from_kubeconfig(str(controlplane.kubeconfig), registry=CollectorRegistry())
    informer = Informer(client, CONFIGMAP, namespace=namespace)
    try:
        informer.start()
        await informer.wait_for_sync(timeout=30)

        # Nothing happens in the namespace: the server ends the watch at its timeout (after a bookmark), and the
        # informer opens the next from the same version.
        await until(lambda: informer.watches >= 3, "two renewals of a quiet watch", timeout=300)
        assert informer.disconnects == 0
        assert informer.lists == 1
    finally:
        await informer.stop()
        await client.close()


# -- a server too busy to open the watch, simulated ------------------------------------------------------------------


class BusyServer:
    """Serves ConfigMaps of namespace `ns`: lists answer version 10; each watch is first refused with the next
    scripted status, then streams one ADDED event and stays open."""

    def __init__(self, refusals: list[int]) -> None:
        self.refusals = refusals
        self.lists: list[dict[str, str]] = []
        self.watches: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_get("/api/v1", self.discovery)
        self.app.router.add_get("/api/v1/namespaces/ns/configmaps", self.configmaps)

    async def discovery(self, _: web.Request) -> web.Response:
        return web.json_response({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "configmaps", "namespaced": True, "kind": "ConfigMap", "verbs": ["list", "watch"]}]})

    async def configmaps(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        if query.get("watch") != "true":
            self.lists.append(query)
            return web.json_response({"kind": "ConfigMapList", "metadata": {"resourceVersion": "10"},
                                      "items": [configmap("listed", "ns", "1")]})
        self.watches.append(query)
        if self.refusals:
            code = self.refusals.pop(0)
            return web.json_response({"kind": "Status", "status": "Failure", "code": code,
                                      "reason": "TooManyRequests" if code == 429 else "ServiceUnavailable",
                                      "message": "try again"}, status=code, headers={"Retry-After": "0"})
        response = web.StreamResponse()
        await response.prepare(request)
        added = {**configmap("watched", "ns", "2"), "metadata": {"name": "watched", "namespace": "ns",
                                                                 "resourceVersion": "11"}}
        await response.write(json.dumps({"type": "ADDED", "object": added}).encode() + b"\n")
        await asyncio.sleep(3600)
        return response


@pytest.fixture
async def busy() -> AsyncIterator[tuple[BusyServer, Client]]:
    server = BusyServer([429, 503, 500])
    runner = web.AppRunner(server.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    client = Client(ApiClient(Configuration(host=f"http://127.0.0.1:{runner.addresses[0][1]}")),
                    registry=CollectorRegistry())
    yield server, client
    await client.close()
    await runner.cleanup()


async def test_a_watch_refused_with_429_or_5xx_is_retried_from_the_same_version_without_a_relist(
    busy: tuple[BusyServer, Client]
) -> None:
    server, client = busy
    informer = Informer(client, CONFIGMAP, namespace="ns", backoff=Backoff(base=0.01, cap=0.05))
    informer.start()
    try:
        await until(lambda: informer.get("watched", "ns") is not None, "the watch to stream once accepted")
        assert [watch["resourceVersion"] for watch in server.watches] == ["10", "10", "10", "10"]
        assert len(server.lists) == 1
        assert informer.relists == 0
    finally:
        await informer.stop()


async def test_the_first_list_is_served_from_the_watch_cache_and_a_relist_from_the_last_version(
    busy: tuple[BusyServer, Client]
) -> None:
    server, client = busy
    server.refusals = [403]  # a refused watch is not resumable: the informer lists again
    informer = Informer(client, CONFIGMAP, namespace="ns", backoff=Backoff(base=0.01, cap=0.05))
    informer.start()
    try:
        await until(lambda: informer.get("watched", "ns") is not None, "the watch to stream after the relist")
        assert server.lists[0]["resourceVersion"] == "0"
        assert "resourceVersionMatch" not in server.lists[0]
        assert (server.lists[1]["resourceVersion"], server.lists[1]["resourceVersionMatch"]) == ("10", "NotOlderThan")
    finally:
        await informer.stop()


# -- a forbidden list, on the real API server ----------------------------------------------------------------------


@pytest.fixture
async def cache_of_someone_without_rights(controlplane: ControlPlane, tmp_path: Path
                                          ) -> AsyncIterator[InformerCache]:
    """An informer cache whose client impersonates `someone-without-rights`, a user no role names."""
    apiserver = urlparse(controlplane.server)
    kubeconfig = kubeconfig_through(controlplane, apiserver.port or 443, tmp_path / "kubeconfig",
                                    **{"as": "someone-without-rights"})
    async with await Client.from_kubeconfig(str(kubeconfig), registry=CollectorRegistry()) as client:
        cache = InformerCache(client)
        try:
            yield cache
        finally:
            await cache.stop()


@pytest.mark.controlplane
async def test_a_read_from_an_informer_whose_list_is_forbidden_fails_with_the_reason(
    namespace: str, cache_of_someone_without_rights: InformerCache
) -> None:
    reader = CacheReader(cache_of_someone_without_rights, namespaces=namespace)
    with pytest.raises(SyncFailed) as failed:
        await reader.get(SECRET, "any", namespace)
    message = str(failed.value)
    assert "cannot list Secret" in message
    assert namespace in message
    assert "403 Forbidden" in message
    assert "someone-without-rights" in message

    with pytest.raises(SyncFailed):  # the next attempt (the reconcile's retry) fails the same way
        await reader.get(SECRET, "any", namespace)


@pytest.mark.controlplane
async def test_caches_that_do_not_sync_at_start_are_named_with_the_reason(
    namespace: str, cache_of_someone_without_rights: InformerCache
) -> None:
    cache = cache_of_someone_without_rights
    cache.get_informer(SECRET, namespace=namespace)
    await cache.start()
    with pytest.raises(TimeoutError) as lagging:
        await cache.wait_for_sync(timeout=5)
    assert "Secret" in str(lagging.value)
    assert "403 Forbidden" in str(lagging.value)
