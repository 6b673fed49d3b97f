"""One reconcile's answers to whether a kind is served: the first answer for each kind holds for the whole
reconcile, even when its CRD comes or goes meanwhile; the asker is still woken when the answer changes."""

from __future__ import annotations

from tests.runtime.test_served_crds import MIDDLEWARE, MIDDLEWARE_CRD, Asker, Crds, crd, no_discovery

from teamop.runtime.kinds import KindRegistry
from teamop.runtime.served import ServedKinds, ServedOnce


async def test_a_kind_installed_during_a_reconcile_stays_unserved_for_that_reconcile() -> None:
    crds = Crds()
    served = ServedKinds(KindRegistry(no_discovery), crds=crds)
    reconcile = ServedOnce(served)
    assert not await reconcile.served(MIDDLEWARE)
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    await served.settled()
    assert await served.served(MIDDLEWARE)
    assert not await reconcile.served(MIDDLEWARE)


async def test_the_next_reconcile_sees_the_kind_installed_meanwhile() -> None:
    crds = Crds()
    served = ServedKinds(KindRegistry(no_discovery), crds=crds)
    assert not await ServedOnce(served).served(MIDDLEWARE)
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    await served.settled()
    assert await ServedOnce(served).served(MIDDLEWARE)


async def test_the_asker_is_woken_when_the_kind_it_asked_about_is_installed() -> None:
    crds, asker = Crds(), Asker()
    served = ServedKinds(KindRegistry(no_discovery), crds=crds)
    assert not await ServedOnce(served, wakes=asker).served(MIDDLEWARE)
    crds.put(crd(MIDDLEWARE_CRD, "Middleware"))
    await served.settled()
    assert asker.woken == 1
