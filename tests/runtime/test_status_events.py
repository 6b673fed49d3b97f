"""Status writes only on change, finalizers by patch, and de-duplicated, rate-limited Events — on the real API."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import yaml

from teamop.runtime.client import Client
from teamop.runtime.conditions import Conditions
from teamop.runtime.errors import Conflict
from teamop.runtime.events import EVENT_GVK, EventRecorder
from teamop.runtime.finalizers import add_finalizer, has_finalizer, remove_finalizer
from teamop.runtime.status import StatusWriter
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import TOY, toy

pytestmark = pytest.mark.controlplane


async def make_toy(plane: ControlPlane, client: Client, namespace: str, name: str = "a") -> dict[str, Any]:
    await asyncio.to_thread(plane.kubectl, "create", "-f", "-", input=yaml.safe_dump(toy(name, namespace)))
    return await client.get(TOY, name, namespace)


async def test_status_is_written_once_and_not_again_when_unchanged(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    obj = await make_toy(controlplane, client, namespace)
    writer = StatusWriter(client)
    status = {"phase": "Synced", "conditions": Conditions.of(obj).set("Ready", True, "Up").items}

    assert await writer.update(obj, status) is True
    fresh = await client.get(TOY, "a", namespace)
    assert fresh["status"]["phase"] == "Synced"
    before = client.requests.writes()
    assert await writer.update(fresh, {"phase": "Synced", "conditions": Conditions.of(fresh).set(
        "Ready", True, "Up").items}) is False
    assert client.requests.writes() == before


async def test_status_is_not_rewritten_while_the_cache_still_shows_the_old_object(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    stale = await make_toy(controlplane, client, namespace)
    writer = StatusWriter(client)
    assert await writer.update(stale, {"phase": "Synced"}) is True
    assert await writer.update(stale, {"phase": "Synced"}) is False  # same stale read: our write is remembered
    assert await writer.update(stale, {"phase": "Failed"}) is True


async def test_a_status_field_we_stop_setting_is_removed(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    obj = await make_toy(controlplane, client, namespace)
    writer = StatusWriter(client)
    await writer.update(obj, {"phase": "Synced", "observedGeneration": 1})
    fresh = await client.get(TOY, "a", namespace)
    assert await writer.update(fresh, {"phase": "Synced"}) is True
    assert "observedGeneration" not in (await client.get(TOY, "a", namespace))["status"]


async def test_finalizers_are_added_and_removed_by_patch(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    obj = await make_toy(controlplane, client, namespace)
    added = await add_finalizer(client, obj, "example.dev/cleanup")
    assert added is not None
    assert has_finalizer(added, "example.dev/cleanup")
    assert await add_finalizer(client, added, "example.dev/cleanup") is None  # already there: no write
    removed = await remove_finalizer(client, added, "example.dev/cleanup")
    assert removed is not None
    assert not has_finalizer(removed, "example.dev/cleanup")


async def test_a_finalizer_patch_from_a_stale_read_fails_instead_of_overwriting(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    stale = await make_toy(controlplane, client, namespace)
    await add_finalizer(client, stale, "example.dev/one")
    with pytest.raises(Conflict):
        await add_finalizer(client, stale, "example.dev/two")


async def events_about(client: Client, namespace: str, name: str) -> list[dict[str, Any]]:
    items, _ = await client.list(EVENT_GVK, namespace)
    return [e for e in items if e["regarding"]["name"] == name]


async def test_an_event_is_recorded_about_the_object(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    obj = await make_toy(controlplane, client, namespace)
    recorder = EventRecorder(client)
    recorder.record(obj, "Warning", "SomethingOdd", "look at this")
    await recorder.flush()
    [event] = await events_about(client, namespace, "a")
    assert (event["type"], event["reason"], event["note"]) == ("Warning", "SomethingOdd", "look at this")
    assert event["regarding"]["uid"] == obj["metadata"]["uid"]
    assert event["reportingController"] == "team-operator"


async def test_repeated_events_are_one_event_with_a_count(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    obj = await make_toy(controlplane, client, namespace)
    recorder = EventRecorder(client, series_interval=0)
    for _ in range(5):
        recorder.record(obj, "Normal", "Reconciled", "all good")
        await recorder.flush()
    [event] = await events_about(client, namespace, "a")
    assert event["series"]["count"] == 5


async def test_events_beyond_the_burst_are_dropped(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    obj = await make_toy(controlplane, client, namespace)
    recorder = EventRecorder(client, burst=3)
    for index in range(6):
        recorder.record(obj, "Normal", "Step", f"step {index}")
    await recorder.flush()
    assert len(await events_about(client, namespace, "a")) == 3
    assert recorder.dropped == 3
