"""Whether a kind is served: asked of discovery, a yes kept, a no asked again only after a while."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

from teamop.runtime.client import Client
from teamop.runtime.errors import NotFound
from teamop.runtime.kinds import GVK, KindRegistry
from teamop.runtime.served import ServedKinds
from teamop.testing.controlplane import ControlPlane

GADGET = GVK("example.com", "v1", "Gadget")
MIDDLEWARE = GVK("traefik.io", "v1alpha1", "Middleware")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Discovery:
    """Discovery documents by path, and the paths asked for."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    async def __call__(self, path: str) -> Mapping[str, Any]:
        self.calls.append(path)
        await asyncio.sleep(0.01)
        if path not in self.documents:
            raise NotFound("no such group version")
        return self.documents[path]

    def install_gadgets(self) -> None:
        self.documents["/apis/example.com/v1"] = {"resources": [{"name": "gadgets", "kind": "Gadget",
                                                                 "namespaced": True}]}


async def test_a_missing_kind_is_not_asked_about_again_before_the_recheck_interval() -> None:
    discovery, clock = Discovery(), FakeClock()
    served = ServedKinds(KindRegistry(discovery), recheck_seconds=300, clock=clock)
    assert not await served.served(GADGET)
    discovery.install_gadgets()
    clock.now += 299
    assert not await served.served(GADGET)
    assert len(discovery.calls) == 1


async def test_a_kind_installed_later_is_seen_after_the_recheck_interval() -> None:
    discovery, clock = Discovery(), FakeClock()
    served = ServedKinds(KindRegistry(discovery), recheck_seconds=300, clock=clock)
    assert not await served.served(GADGET)
    discovery.install_gadgets()
    clock.now += 300
    assert await served.served(GADGET)
    assert len(discovery.calls) == 2


async def test_a_served_kind_stays_served_without_further_requests() -> None:
    discovery, clock = Discovery(), FakeClock()
    discovery.install_gadgets()
    served = ServedKinds(KindRegistry(discovery), recheck_seconds=300, clock=clock)
    assert await served.served(GADGET)
    clock.now += 10_000
    assert await served.served(GADGET)
    assert len(discovery.calls) == 1


async def test_callers_asking_at_the_same_time_share_one_discovery_request() -> None:
    discovery = Discovery()
    served = ServedKinds(KindRegistry(discovery))
    answers = await asyncio.gather(*(served.served(GADGET) for _ in range(5)))
    assert answers == [False] * 5
    assert discovery.calls == ["/apis/example.com/v1"]


@pytest.mark.controlplane
async def test_a_crd_installed_in_the_cluster_is_served_and_a_missing_one_is_not(
    controlplane: ControlPlane, thirdparty_crds: Callable[..., Awaitable[None]],
) -> None:
    client = await Client.from_kubeconfig(str(controlplane.kubeconfig))
    try:
        assert not await ServedKinds(client.kinds).served(MIDDLEWARE)
        await thirdparty_crds("middlewares")
        assert await ServedKinds(client.kinds).served(MIDDLEWARE)
    finally:
        await client.close()
