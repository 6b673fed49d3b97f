"""Whether a kind is served: asked of discovery, a yes kept, a no asked again only after a while (without a watch
of CRDs); with one, following the cluster's CRDs as they are installed and removed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from teamop.runtime.cache import InformerCache
from teamop.runtime.client import Client
from teamop.runtime.errors import NotFound
from teamop.runtime.informer import Informer
from teamop.runtime.kinds import GVK, KindRegistry
from teamop.runtime.served import CRD, CachedCrds, ServedKinds, informers_following
from teamop.testing.controlplane import ControlPlane
from teamop.testing.kubeconfig import write_impersonating_kubeconfig
from teamop.testing.thirdparty import ThirdPartyCRDs
from teamop.testing.wait import eventually_async

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


class Asker:
    def __init__(self) -> None:
        self.woken = 0

    def enqueue_all(self) -> int:
        self.woken += 1
        return 1


@pytest.fixture
async def admin_cache(controlplane: ControlPlane) -> AsyncIterator[InformerCache]:
    client = await Client.from_kubeconfig(str(controlplane.kubeconfig))
    cache = InformerCache(client)
    await cache.start()
    yield cache
    await cache.stop()
    await client.close()


@pytest.mark.controlplane
async def test_a_crd_installed_and_removed_while_watched_wakes_the_asker_each_time(
    controlplane: ControlPlane, admin_cache: InformerCache,
) -> None:
    crds, asker = ThirdPartyCRDs(controlplane), Asker()
    served = ServedKinds(admin_cache.client.kinds, crds=CachedCrds(admin_cache))
    try:
        assert not await served.served(MIDDLEWARE, wakes=asker)

        await crds.install("middlewares")
        await eventually_async(lambda: _woken(served, asker, 1), what="the asker woken by the CRD")
        assert await served.served(MIDDLEWARE)
        info = admin_cache.client.kinds.lookup(MIDDLEWARE)
        assert info is not None
        assert info.plural == "middlewares"

        await crds.remove(["middlewares"])
        await eventually_async(lambda: _woken(served, asker, 2), what="the asker woken by the CRD's removal")
        assert not await served.served(MIDDLEWARE)
    finally:
        await crds.remove_all()


async def _woken(served: ServedKinds, asker: Asker, times: int) -> bool:
    await served.settled()
    return asker.woken == times


@pytest.mark.controlplane
async def test_the_crds_are_watched_as_metadata_only_with_one_list(
    controlplane: ControlPlane, admin_cache: InformerCache,
) -> None:
    served = ServedKinds(admin_cache.client.kinds, crds=CachedCrds(admin_cache))
    for _ in range(3):
        assert not await served.served(MIDDLEWARE)
    [informer] = [i for i in admin_cache.informers() if i.gvk == CRD]
    assert informer.metadata_only
    assert informer.lists == 1
    assert all(set(obj) == {"metadata"} for obj in informer.list())


@pytest.mark.controlplane
async def test_without_permission_to_list_crds_a_kind_is_asked_of_discovery(
    controlplane: ControlPlane, thirdparty_crds: Callable[..., Awaitable[None]], tmp_path: Path,
) -> None:
    await thirdparty_crds("middlewares")
    kubeconfig = write_impersonating_kubeconfig(controlplane.kubeconfig, tmp_path / "kubeconfig", "no-crd-reader",
                                                groups=["system:authenticated"])
    client = await Client.from_kubeconfig(str(kubeconfig))
    cache = InformerCache(client)
    await cache.start()
    try:
        crds = CachedCrds(cache)
        served = ServedKinds(client.kinds, crds=crds)
        assert await served.served(MIDDLEWARE)
        assert cache.informers() == []  # the watch that cannot list is given up, not retried for ever
        assert crds.reads == 0
    finally:
        await cache.stop()
        await client.close()


@pytest.mark.controlplane
async def test_the_informers_of_a_kind_no_longer_served_stop_and_start_again_when_it_is_served(
    controlplane: ControlPlane, admin_cache: InformerCache, namespace: str,
) -> None:
    crds = ThirdPartyCRDs(controlplane)
    await crds.install("middlewares")
    try:
        served = ServedKinds(admin_cache.client.kinds, crds=CachedCrds(admin_cache),
                             on_change=informers_following(admin_cache))
        assert await served.served(MIDDLEWARE)
        informer = admin_cache.get_informer(MIDDLEWARE, namespace=namespace)
        await informer.wait_for_sync(30)

        await crds.remove(["middlewares"])
        await eventually_async(lambda: _started(served, informer, False), what="the Middleware informer stopped")

        await crds.install("middlewares")
        await eventually_async(lambda: _started(served, informer, True), what="the informer started again")
        controlplane.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps({
            "apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": {"name": "forward"},
            "spec": {"headers": {"customRequestHeaders": {"X-Forwarded-Proto": "https"}}}}))
        await eventually_async(lambda: _holds(informer, "forward", namespace), what="the new Middleware seen")
    finally:
        await crds.remove_all()


async def _started(served: ServedKinds, informer: Informer, started: bool) -> bool:
    await served.settled()
    return informer.started == started


async def _holds(informer: Informer, name: str, namespace: str) -> bool:
    return informer.get(name, namespace) is not None
