"""A status that is not ready yet is written at most once per window while a controller reconciles its object (the
first window starting when the object is first seen); the held-back write is made by a reconcile the controller
schedules for the end of the window. A ready status is written at once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from typing import Any

from test_controller_unit import Scripted, controller, wait_for

from teamop.runtime import heldback
from teamop.runtime.reconcile import Request
from teamop.runtime.status import StatusWriter


class Recording:
    """The client calls StatusWriter makes: each status apply is recorded and answered with a new version."""

    field_manager = "team-operator"

    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []
        self._versions = itertools.count(2)

    async def apply(self, body: Mapping[str, Any], *, force: bool, subresource: str | None = None) -> dict[str, Any]:
        self.written.append(dict(body["status"]))
        owned = {"f:status": {f"f:{field}": {} for field in body["status"]}}
        managed = [{"manager": self.field_manager, "operation": "Apply", "subresource": "status",
                    "fieldsType": "FieldsV1", "fieldsV1": owned}]
        return {**body, "metadata": {**body["metadata"], "resourceVersion": str(next(self._versions)),
                                     "managedFields": managed}}


def thing(status: Mapping[str, Any] | None = None, version: str = "1") -> dict[str, Any]:
    return {"apiVersion": "example.dev/v1", "kind": "Thing",
            "metadata": {"name": "a", "namespace": "ns", "resourceVersion": version}, "status": dict(status or {})}


async def test_a_first_not_ready_status_waits_for_the_end_of_the_first_window() -> None:
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=0.05)  # type: ignore[arg-type]
    with heldback.collecting() as first:
        assert not await writer.update(thing(), {"ready": False, "message": "0/1 replicas ready"})
    assert first.seconds is not None
    await asyncio.sleep(first.seconds)
    with heldback.collecting() as again:
        assert await writer.update(thing(), {"ready": False, "message": "0/1 replicas ready"})
    assert again.seconds is None
    assert client.written == [{"ready": False, "message": "0/1 replicas ready"}]


async def test_an_object_ready_within_its_first_window_gets_one_status_write() -> None:
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=5.0)  # type: ignore[arg-type]
    with heldback.collecting():
        await writer.update(thing(), {"ready": False, "message": "0/1 replicas ready"})
    with heldback.collecting():
        await writer.update(thing(), {"ready": True, "message": "1/1 replicas ready"})
    assert client.written == [{"ready": True, "message": "1/1 replicas ready"}]


async def test_a_second_not_ready_status_within_the_window_is_held_back_and_asks_to_come_back() -> None:
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=5.0)  # type: ignore[arg-type]
    await writer.update(thing(), {"ready": False, "message": "0/1 replicas ready"})  # outside: written at once
    with heldback.collecting() as second:
        assert not await writer.update(thing({"ready": False, "message": "0/1 replicas ready"}, "2"),
                                       {"ready": False, "message": "database being provisioned"})
    assert client.written == [{"ready": False, "message": "0/1 replicas ready"}]
    assert second.seconds is not None
    assert 0 < second.seconds <= 10.0  # the window after a not-ready write: twice the first


async def test_a_ready_status_is_written_at_once() -> None:
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=5.0)  # type: ignore[arg-type]
    await writer.update(thing(), {"ready": False})
    with heldback.collecting() as held:
        assert await writer.update(thing({"ready": False}, "2"), {"ready": True})
    assert held.seconds is None
    assert client.written[-1] == {"ready": True}


async def test_outside_a_controllers_reconcile_every_status_is_written_at_once() -> None:
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=5.0)  # type: ignore[arg-type]
    await writer.update(thing(), {"ready": False, "message": "a"})
    assert await writer.update(thing({"ready": False, "message": "a"}, "2"), {"ready": False, "message": "b"})
    assert len(client.written) == 2


async def test_without_a_window_every_change_is_written() -> None:
    client = Recording()
    writer = StatusWriter(client)  # type: ignore[arg-type]
    with heldback.collecting():
        await writer.update(thing(), {"ready": False, "message": "a"})
    with heldback.collecting() as held:
        assert await writer.update(thing({"ready": False, "message": "a"}, "2"), {"ready": False, "message": "b"})
    assert held.seconds is None


async def test_the_controller_reconciles_again_when_a_held_back_write_is_due() -> None:
    async def holds_back_once(request: Request, attempt: int) -> None:
        if attempt == 1:
            heldback.hold_back(0.05)

    reconciler = Scripted(holds_back_once)
    running = controller(reconciler, "held-back")
    running.start_workers()
    try:
        running.enqueue(Request("ns", "a"))
        await wait_for(lambda: len(reconciler.calls) == 2)
        await asyncio.sleep(0.1)
        assert len(reconciler.calls) == 2  # the second reconcile held nothing back: no third
    finally:
        await running.stop(1.0)


async def test_each_not_ready_write_doubles_the_window_up_to_four_times_the_first() -> None:
    writer = StatusWriter(Recording(), coalesce_seconds=1.0)  # type: ignore[arg-type]
    waits = []
    for index in range(4):
        await writer.update(thing(), {"ready": False, "message": f"step {index}"})  # outside: written at once
        with heldback.collecting() as held:
            await writer.update(thing(), {"ready": False, "message": f"step {index} and more"})
        assert held.seconds is not None
        waits.append(round(held.seconds))
    assert waits == [2, 4, 4, 4]


async def test_a_ready_write_brings_the_window_back_to_its_first_length() -> None:
    writer = StatusWriter(Recording(), coalesce_seconds=1.0)  # type: ignore[arg-type]
    for index in range(3):
        await writer.update(thing(), {"ready": False, "message": f"step {index}"})
    await writer.update(thing(), {"ready": True})
    with heldback.collecting() as held:
        await writer.update(thing(), {"ready": False, "message": "a pod failed"})
    assert held.seconds is not None
    assert round(held.seconds) == 1


async def test_a_not_ready_change_after_a_quiet_spell_superseded_within_its_window_is_not_written() -> None:
    # A product's pod is scheduled long after its last write; a moment later its Deployment reports it ready.
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=0.05)  # type: ignore[arg-type]
    unschedulable = {"ready": False, "message": "0/1 replicas ready; pod cannot be scheduled"}
    await writer.update(thing(), unschedulable)  # outside a reconcile: written at once
    await asyncio.sleep(0.25)  # the window that write opened has ended
    with heldback.collecting() as held:
        assert not await writer.update(thing(), {"ready": False, "message": "0/1 replicas ready"})
    assert held.seconds is not None
    with heldback.collecting():
        assert await writer.update(thing(), {"ready": True, "message": "1/1 replicas ready"})
    assert client.written == [unschedulable, {"ready": True, "message": "1/1 replicas ready"}]


async def test_a_not_ready_change_after_a_quiet_spell_that_stays_is_written_when_its_window_ends() -> None:
    # A product that was ready loses its pod, which cannot be scheduled: the reason shows after the first window.
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=0.05)  # type: ignore[arg-type]
    await writer.update(thing(), {"ready": True, "message": "1/1 replicas ready"})
    await asyncio.sleep(0.25)
    stuck = {"ready": False, "message": "0/1 replicas ready; pod cannot be scheduled"}
    with heldback.collecting() as held:
        assert not await writer.update(thing(), stuck)
    assert held.seconds is not None
    assert held.seconds <= 0.05
    await asyncio.sleep(held.seconds)
    with heldback.collecting() as again:  # the come-back the controller scheduled
        assert await writer.update(thing(), stuck)
    assert again.seconds is None
    assert client.written[-1] == stuck


async def test_a_held_back_change_that_reverts_leaves_the_next_change_its_own_window() -> None:
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=0.05)  # type: ignore[arg-type]
    waiting = {"ready": False, "message": "0/1 replicas ready"}
    await writer.update(thing(), waiting)
    await asyncio.sleep(0.25)
    with heldback.collecting():
        await writer.update(thing(), {"ready": False, "message": "pod cannot be scheduled"})
    with heldback.collecting():
        assert not await writer.update(thing(), waiting)  # as last written: nothing to write
    await asyncio.sleep(0.25)
    with heldback.collecting() as held:
        assert not await writer.update(thing(), {"ready": False, "message": "image cannot be pulled"})
    assert held.seconds is not None
    assert client.written == [waiting]


def ready_condition(status: str, since: str) -> dict[str, Any]:
    return {"type": "Ready", "status": status, "reason": "Available", "message": "1/1 replicas ready",
            "lastTransitionTime": since}


async def test_a_status_equal_to_the_last_written_but_for_the_time_of_an_unchanged_condition_is_not_written() -> None:
    # The next reconcile read the object from a cache that does not show the write yet (the condition not ready
    # there), so it computed the Ready condition as turning true now, a second after it was written so.
    client = Recording()
    writer = StatusWriter(client, coalesce_seconds=0.05)  # type: ignore[arg-type]
    cached = thing({"ready": False, "conditions": [{**ready_condition("False", "2026-01-01T00:00:00Z"),
                                                     "reason": "NotReady"}]})
    assert await writer.update(cached, {"ready": True, "conditions": [ready_condition("True", "2026-01-01T00:01:00Z")]})
    assert not await writer.update(cached, {"ready": True,
                                            "conditions": [ready_condition("True", "2026-01-01T00:01:01Z")]})
    assert len(client.written) == 1


async def test_a_condition_that_flips_is_written_with_its_new_transition_time() -> None:
    client = Recording()
    writer = StatusWriter(client)  # type: ignore[arg-type]
    await writer.update(thing(), {"conditions": [ready_condition("True", "2026-01-01T00:01:00Z")]})
    assert await writer.update(thing(), {"conditions": [{**ready_condition("False", "2026-01-01T00:02:00Z"),
                                                         "reason": "NotReady"}]})
    assert client.written[-1]["conditions"][0]["lastTransitionTime"] == "2026-01-01T00:02:00Z"
