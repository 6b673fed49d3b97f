"""Whether a kind is served, following the cluster's CRDs: an answer is kept until a CRD of the kind's group
changes; then the kind is asked about again and, when the answer changed, whoever asked is woken once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from teamop.runtime.errors import NotFound
from teamop.runtime.kinds import GVK, KindRegistry
from teamop.runtime.served import Obj, ServedKinds

MIDDLEWARE = GVK("traefik.io", "v1alpha1", "Middleware")
MIDDLEWARE_CRD = "middlewares.traefik.io"


def crd(name: str, kind: str, *, established: bool = True, version: str = "v1alpha1",
        deleting: bool = False) -> dict[str, Any]:
    plural, _, group = name.partition(".")
    metadata: dict[str, Any] = {"name": name}
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": metadata,
        "spec": {"group": group, "scope": "Namespaced", "names": {"kind": kind, "plural": plural},
                 "versions": [{"name": version, "served": True, "storage": True}]},
        "status": {"conditions": [{"type": "Established", "status": "True" if established else "False"}]},
    }


class Crds:
    """The cluster's CRDs as the informer would report them, and the CRDs read whole."""

    def __init__(self, *, watchable: bool = True) -> None:
        self.crds: dict[str, dict[str, Any]] = {}
        self.reads: list[str] = []
        self.watchable = watchable
        self._changed: Callable[[str], None] | None = None

    async def watch(self, changed: Callable[[str], None]) -> bool:
        self._changed = changed if self.watchable else None
        return self.watchable

    def names(self) -> Iterable[str]:
        return list(self.crds)

    async def read(self, name: str) -> Obj | None:
        self.reads.append(name)
        return self.crds.get(name)

    def put(self, obj: dict[str, Any]) -> None:
        self.crds[obj["metadata"]["name"]] = obj
        if self._changed is not None:
            self._changed(obj["metadata"]["name"])

    def delete(self, name: str) -> None:
        del self.crds[name]
        if self._changed is not None:
            self._changed(name)


class Asker:
    def __init__(self) -> None:
        self.woken = 0

    def enqueue_all(self) -> int:
        self.woken += 1
        return 1


async def no_discovery(path: str) -> dict[str, Any]:
    raise NotFound(f"{path} is not served")


def watching(crds: Crds, kinds: KindRegistry | None = None) -> ServedKinds:
    return ServedKinds(kinds or KindRegistry(no_discovery), crds=crds)


async def test_a_kind_without_a_crd_of_its_group_is_not_served_and_nothing_is_read() -> None:
    crds = Crds()
    crds.put(crd("gadgets.example.com", "Gadget"))
    served = watching(crds)
    assert not await served.served(MIDDLEWARE)
    assert crds.reads == []


async def test_an_answer_is_kept_until_a_crd_of_the_kinds_group_changes() -> None:
    crds = Crds()
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    served = watching(crds)
    assert await served.served(MIDDLEWARE)
    assert await served.served(MIDDLEWARE)
    crds.put(crd("gadgets.example.com", "Gadget"))
    await served.settled()
    assert await served.served(MIDDLEWARE)
    assert crds.reads == [MIDDLEWARE_CRD]


async def test_once_served_only_the_crd_serving_the_kind_is_read_again_when_it_changes() -> None:
    crds = Crds()
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    served = watching(crds)
    assert await served.served(MIDDLEWARE)
    crds.put(crd("ingressroutes.traefik.io", "IngressRoute"))
    await served.settled()
    assert crds.reads == [MIDDLEWARE_CRD]
    crds.put(crd(MIDDLEWARE_CRD, "Middleware", deleting=True))
    await served.settled()
    assert not await served.served(MIDDLEWARE)
    assert crds.reads == [MIDDLEWARE_CRD, MIDDLEWARE_CRD, "ingressroutes.traefik.io"]  # no longer: which one is?


async def test_the_crd_defining_the_kind_is_read_first_among_its_groups() -> None:
    crds = Crds()
    for name, kind in (("ingressroutes.traefik.io", "IngressRoute"), ("middlewaretcps.traefik.io", "MiddlewareTCP"),
                       (MIDDLEWARE_CRD, "Middleware")):
        crds.put(crd(name, kind))
    assert await watching(crds).served(MIDDLEWARE)
    assert crds.reads == [MIDDLEWARE_CRD]


async def test_a_crd_installed_later_wakes_the_askers_once_when_it_is_established() -> None:
    crds, asker = Crds(), Asker()
    kinds = KindRegistry(no_discovery)
    served = watching(crds, kinds)
    assert not await served.served(MIDDLEWARE, wakes=asker)

    crds.put(crd(MIDDLEWARE_CRD, "Middleware", established=False))
    await served.settled()
    assert not await served.served(MIDDLEWARE)
    assert asker.woken == 0

    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    await served.settled()
    assert await served.served(MIDDLEWARE)
    assert asker.woken == 1
    info = kinds.lookup(MIDDLEWARE)
    assert info is not None
    assert (info.plural, info.namespaced) == ("middlewares", True)


async def test_a_crd_being_deleted_is_no_longer_served_and_the_kind_is_forgotten() -> None:
    crds, asker = Crds(), Asker()
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    kinds = KindRegistry(no_discovery)
    served = watching(crds, kinds)
    assert await served.served(MIDDLEWARE, wakes=asker)

    crds.put(crd(MIDDLEWARE_CRD, "Middleware", deleting=True))
    await served.settled()
    assert not await served.served(MIDDLEWARE)
    assert asker.woken == 1
    assert kinds.lookup(MIDDLEWARE) is None

    crds.delete(MIDDLEWARE_CRD)
    await served.settled()
    assert not await served.served(MIDDLEWARE)
    assert asker.woken == 1


async def test_a_crd_that_no_longer_serves_the_version_asked_for_is_not_served() -> None:
    crds, asker = Crds(), Asker()
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    served = watching(crds)
    assert await served.served(MIDDLEWARE, wakes=asker)
    crds.put(crd(MIDDLEWARE_CRD, "Middleware", version="v1"))
    await served.settled()
    assert not await served.served(MIDDLEWARE)
    assert asker.woken == 1


async def test_every_asker_is_woken_and_told_about_each_change() -> None:
    crds, site, connect = Crds(), Asker(), Asker()
    changes: list[tuple[GVK, bool]] = []

    async def record(gvk: GVK, now: bool) -> None:
        changes.append((gvk, now))

    served = ServedKinds(KindRegistry(no_discovery), crds=crds, on_change=record)
    assert not await served.served(MIDDLEWARE, wakes=site)
    assert not await served.served(MIDDLEWARE, wakes=connect)
    assert not await served.served(MIDDLEWARE, wakes=connect)
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    await served.settled()
    crds.delete(MIDDLEWARE_CRD)
    await served.settled()
    assert (site.woken, connect.woken) == (2, 2)
    assert changes == [(MIDDLEWARE, True), (MIDDLEWARE, False)]


async def test_a_crd_established_while_it_is_being_read_is_not_missed() -> None:
    crds, asker = Crds(), Asker()
    crds.put(crd(MIDDLEWARE_CRD, "Middleware", established=False))
    served = watching(crds)
    read = crds.read

    async def established_during_the_read(name: str) -> Obj | None:
        obj = await read(name)
        crds.put(crd(MIDDLEWARE_CRD, "Middleware"))  # the status update's event arrives before the answer is kept
        crds.read = read  # type: ignore[method-assign]
        return obj

    crds.read = established_during_the_read  # type: ignore[method-assign]
    assert not await served.served(MIDDLEWARE, wakes=asker)
    await served.settled()
    assert await served.served(MIDDLEWARE)
    assert asker.woken == 1


async def test_a_question_asked_while_a_change_is_being_looked_at_gets_the_new_answer() -> None:
    crds = Crds()
    served = watching(crds)
    assert not await served.served(MIDDLEWARE)
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    assert await served.served(MIDDLEWARE)  # before the recheck ran
    await served.settled()


async def test_without_a_watch_of_crds_a_missing_kind_is_asked_of_discovery_again_only_after_a_while() -> None:
    now = [1000.0]
    documents: dict[str, dict[str, Any]] = {}
    calls: list[str] = []

    async def discovery(path: str) -> dict[str, Any]:
        calls.append(path)
        if path not in documents:
            raise NotFound(path)
        return documents[path]

    served = ServedKinds(KindRegistry(discovery), crds=Crds(watchable=False), recheck_seconds=300,
                         clock=lambda: now[0])
    assert not await served.served(MIDDLEWARE)
    documents["/apis/traefik.io/v1alpha1"] = {"resources": [{"name": "middlewares", "kind": "Middleware",
                                                             "namespaced": True}]}
    assert not await served.served(MIDDLEWARE)
    now[0] += 300
    assert await served.served(MIDDLEWARE)
    assert calls == ["/apis/traefik.io/v1alpha1"] * 2


async def test_callers_asking_at_the_same_time_share_one_read() -> None:
    crds = Crds()
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    served = watching(crds)
    assert await asyncio.gather(*(served.served(MIDDLEWARE) for _ in range(5))) == [True] * 5
    assert crds.reads == [MIDDLEWARE_CRD]
