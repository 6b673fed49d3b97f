"""Supervised workers and the reconcile timeout, on the real control plane: a worker a reconciler kills is replaced
(the next key is reconciled, the crash counted), repeated crashes fail `/healthz`, and a reconcile that runs past
its timeout is cancelled and retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from scripted import Managers, create_toys, sample, synced

from teamop.runtime.reconcile import Request
from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane


@pytest.fixture
async def managers(controlplane: ControlPlane, toy_crd: str) -> AsyncIterator[Managers]:
    started = Managers(controlplane)
    yield started
    await started.stop_all()


async def test_a_reconciler_that_raises_cancelled_error_does_not_lose_its_worker(
    controlplane: ControlPlane, namespace: str, managers: Managers
) -> None:
    async def cancel_a_once(request: Request, attempt: int) -> None:
        if request.name == "a" and attempt == 1:
            raise asyncio.CancelledError  # not a cancellation of the worker: a bug in a reconciler

    manager, controller, reconciler, _ = await managers.start(namespace, cancel_a_once)
    await create_toys(controlplane, namespace, "a")
    await eventually_async(lambda: asyncio.sleep(0, reconciler.attempts.get(Request(namespace, "a"), 0) >= 1),
                           what="the first reconcile of a")
    await create_toys(controlplane, namespace, "b")

    await eventually_async(synced(manager, namespace, "b"), timeout=30, what="toy b Synced by the one worker")
    await eventually_async(synced(manager, namespace, "a"), timeout=30, what="toy a Synced on its retry")
    assert sample("teamop_controller_worker_crashes_total", controller) == 1
    assert sample("controller_runtime_reconcile_errors_total", controller) == 1
    assert controller.running
    assert len(controller._workers) == 1


async def test_healthz_fails_once_workers_crashed_again_and_again(
    controlplane: ControlPlane, namespace: str, managers: Managers
) -> None:
    async def always_cancel_a(request: Request, attempt: int) -> None:
        if request.name == "a":
            raise asyncio.CancelledError

    manager, controller, _, _ = await managers.start(namespace, always_cancel_a, health_addr="127.0.0.1:0",
                                         max_worker_crashes=3)
    healthz = manager.http.url("health") + "/healthz"
    async with aiohttp.ClientSession() as session:
        async with session.get(healthz) as response:
            assert response.status == 200
        await create_toys(controlplane, namespace, "a")

        async def unhealthy() -> str | None:
            async with session.get(healthz) as response:
                return await response.text() if response.status == 500 else None

        reason = await eventually_async(unhealthy, timeout=60, what="/healthz failing")
    assert reason.startswith(f"controller {controller.name}: ")
    assert "worker crashes" in reason
    assert sample("teamop_controller_worker_crashes_total", controller) >= 3
    assert controller.running  # every crashed worker was replaced


async def test_a_reconcile_that_runs_past_its_timeout_is_cancelled_and_retried(
    controlplane: ControlPlane, namespace: str, managers: Managers
) -> None:
    first_attempt_cancelled = asyncio.Event()

    async def hang_once(request: Request, attempt: int) -> None:
        if attempt == 1:
            try:
                await asyncio.Event().wait()  # never set: only the timeout ends this
            except asyncio.CancelledError:
                first_attempt_cancelled.set()
                raise

    manager, controller, reconciler, _ = await managers.start(namespace, hang_once, reconcile_timeout=1)
    await create_toys(controlplane, namespace, "a")

    await eventually_async(synced(manager, namespace, "a"), timeout=60, what="toy a Synced on its second attempt")
    assert first_attempt_cancelled.is_set()
    assert reconciler.attempts[Request(namespace, "a")] >= 2  # the retry; its children's events may add more
    assert sample("controller_runtime_reconcile_errors_total", controller) == 1
    assert sample("teamop_controller_worker_crashes_total", controller) == 0
