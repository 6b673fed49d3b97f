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
        return {**body, "metadata": {**body["metadata"], "resourceVersion": str(next(self._versions))}}


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
