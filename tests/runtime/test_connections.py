"""Watches hold a connection each, outside the requests' pool: however many watches are open, requests still get
a connection, and the pool for requests stays bounded."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import aclosing

import pytest

from teamop.runtime.client import Client
from teamop.runtime.kinds import GVK
from teamop.runtime.transport import REQUEST_CONNECTIONS
from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane

CONFIG_MAP = GVK("", "v1", "ConfigMap")
WATCHES = REQUEST_CONNECTIONS + 20  # more than the requests' pool could ever hold


async def follow(client: Client, namespace: str, resource_version: str) -> None:
    async with aclosing(client.watch(CONFIG_MAP, namespace, resource_version, timeout_seconds=600)) as events:
        async for _ in events:
            pass


async def test_more_watches_than_the_request_pool_holds_leave_requests_their_connections(
    controlplane: ControlPlane, namespace: str
) -> None:
    async with await Client.from_kubeconfig(str(controlplane.kubeconfig)) as client:
        _, version = await client.list(CONFIG_MAP, namespace)
        watches = [asyncio.create_task(follow(client, namespace, version)) for _ in range(WATCHES)]
        try:
            await eventually_async(lambda: asyncio.sleep(0, client.connections()[1] == WATCHES), timeout=60,
                                   what=f"{WATCHES} watches open")

            created = await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                           "metadata": {"name": "after-the-watches", "namespace": namespace}})
            listed, _ = await client.list(CONFIG_MAP, namespace)

            assert created["metadata"]["name"] in {item["metadata"]["name"] for item in listed}
            assert not any(watch.done() for watch in watches)
            requests, open_watches = client.connections()
            assert open_watches == WATCHES
            assert 1 <= requests <= REQUEST_CONNECTIONS
        finally:
            for watch in watches:
                watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*watches, return_exceptions=True)
