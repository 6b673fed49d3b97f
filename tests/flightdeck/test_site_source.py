"""How watch events change what the server knows about its Site (the real list+watch is in
test_controlplane.py; these are the cases a test cluster cannot easily produce)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kubernetes_asyncio import client as k8s

from teamop.flightdeck.site_source import KubernetesSiteSource, SiteSnapshot, StaticSiteSource, WatchExpired

from .sites import site


@pytest.fixture
async def source() -> AsyncIterator[KubernetesSiteSource]:
    api_client = k8s.ApiClient(configuration=k8s.Configuration(host="https://127.0.0.1:1"))
    try:
        yield KubernetesSiteSource(api_client, "posit-team", "orbit")
    finally:
        await api_client.close()


def with_version(obj: dict[str, object], version: str) -> dict[str, object]:
    return {**obj, "metadata": {**obj["metadata"], "resourceVersion": version}}  # type: ignore[dict-item]


async def test_added_modified_deleted(source: KubernetesSiteSource) -> None:
    assert source.snapshot() == SiteSnapshot()
    version = source._apply({"type": "ADDED", "object": with_version(site(), "5")}, "4")
    assert (version, source.snapshot().read, source.snapshot().spec["domain"]) == ("5", True, "example.test")
    version = source._apply({"type": "MODIFIED", "object": with_version(site(["connect"]), "6")}, version)
    assert "workbench" not in source.snapshot().spec
    version = source._apply({"type": "DELETED", "object": with_version(site(), "7")}, version)
    assert version == "7"
    assert source.snapshot().read
    assert source.snapshot().site is None


async def test_an_expired_watch_means_list_again(source: KubernetesSiteSource) -> None:
    with pytest.raises(WatchExpired):
        source._apply({"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}, "9")


async def test_a_bookmark_only_moves_the_version(source: KubernetesSiteSource) -> None:
    source._apply({"type": "ADDED", "object": with_version(site(), "5")}, "4")
    before = source.snapshot()
    bookmark = {"type": "BOOKMARK", "object": {"kind": "Site", "metadata": {"resourceVersion": "12"}}}
    assert source._apply(bookmark, "5") == "12"
    assert source.snapshot() is before


def test_a_static_source_can_be_fed_and_made_stale() -> None:
    source = StaticSiteSource(read=False)
    assert not source.snapshot().read
    source.publish(site())
    source.mark_stale()
    snapshot = source.snapshot()
    assert (snapshot.read, snapshot.stale, snapshot.spec["domain"]) == (True, True, "example.test")
    source.publish(site())
    assert not source.snapshot().stale
