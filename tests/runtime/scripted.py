"""A manager running the toy controller whose reconciler first runs a test's script (not a test module)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import yaml

from teamop.runtime import metrics
from teamop.runtime.client import Client
from teamop.runtime.controller import Controller, ControllerBuilder
from teamop.runtime.manager import Manager
from teamop.runtime.reconcile import Request, Result
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import CONFIG_MAP, SECRET, SERVICE, TOY, ToyReconciler, toy
from teamop.testing.wait import eventually_async

Script = Callable[[Request, int], Awaitable[None]]


async def nothing(request: Request, attempt: int) -> None:
    return None


class Scripted(ToyReconciler):
    """The toy reconciler, after `script(request, attempt)` (attempts count from 1)."""

    def __init__(self, manager: Manager, script: Script) -> None:
        super().__init__(manager)
        self.script = script
        self.attempts: dict[Request, int] = {}

    async def reconcile(self, request: Request) -> Result | None:
        self.attempts[request] = self.attempts.get(request, 0) + 1
        await self.script(request, self.attempts[request])
        return await super().reconcile(request)


class Managers:
    """Starts managers with a scripted toy controller (one worker, a controller name of its own so that its
    metrics are this test's) and stops them all at the end."""

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.running: list[tuple[Client, Manager, asyncio.Task[None]]] = []

    async def start(
        self, namespace: str, script: Script = nothing, *, client: Client | None = None, **options: Any
    ) -> tuple[Manager, Controller, Scripted, asyncio.Task[None]]:
        client = client or await Client.from_kubeconfig(str(self.plane.kubeconfig))
        options.setdefault("health_addr", None)
        manager = Manager(client, namespaces=namespace, metrics_addr=None, grace_period=5, **options)
        reconciler = Scripted(manager, script)
        controller = (
            ControllerBuilder(manager).named(f"toy-{uuid.uuid4().hex[:6]}")
            .for_(TOY).owns(CONFIG_MAP).owns(SERVICE).owns(SECRET).complete(reconciler)
        )
        task = asyncio.get_running_loop().create_task(manager.run())
        self.running.append((client, manager, task))

        async def reconciling() -> bool:
            if task.done():
                task.result()
            return manager.reconciling

        await eventually_async(reconciling, timeout=60, what="workers running")
        return manager, controller, reconciler, task

    async def stop_all(self) -> None:
        for client, manager, task in self.running:
            manager.request_stop()
            await asyncio.gather(task, return_exceptions=True)
            await client.close()


def synced(manager: Manager, namespace: str, name: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        obj = manager.cache.get(TOY, name, namespace) or {}
        return (obj.get("status") or {}).get("phase") == "Synced"

    return check


def sample(name: str, controller: Controller) -> float:
    """A controller's metric, from the engine's registry."""
    return metrics.REGISTRY.get_sample_value(name, {"controller": controller.name}) or 0.0


async def create_toys(plane: ControlPlane, namespace: str, *names: str, **spec: Any) -> None:
    body = "\n---\n".join(yaml.safe_dump(toy(name, namespace, **spec)) for name in names)
    await asyncio.to_thread(plane.kubectl, "create", "-f", "-", input=body)
