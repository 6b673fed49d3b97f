"""A toy controller on a toy CRD (`Toy`, `runtime.teamop.dev/v1`), for the engine's own tests and benchmarks.

Each Toy keeps a ConfigMap `<name>` (data `message`, and `extra` while `spec.extraKey`), a Service `<name>` (one
TCP port `spec.port`), `spec.extraConfigMaps` more ConfigMaps `<name>-<i>` and, while `spec.withSecret`, a Secret
`<name>`; then sets `status.phase: Synced`,
`status.observedGeneration` and a Ready condition. `spec.failTimes: n` makes its first n reconciles raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from teamop.runtime.client import Client
from teamop.runtime.conditions import Conditions
from teamop.runtime.controller import Controller, ControllerBuilder
from teamop.runtime.kinds import GVK
from teamop.runtime.manager import Manager
from teamop.runtime.reconcile import Request, Result
from teamop.testing.settle import ReconcileKey, ReconcileLog, wait_reconciled_since, wait_settled

TOY = GVK("runtime.teamop.dev", "v1", "Toy")
CONFIG_MAP = GVK("", "v1", "ConfigMap")
SERVICE = GVK("", "v1", "Service")
SECRET = GVK("", "v1", "Secret")
OWNED_KINDS = (CONFIG_MAP, SERVICE, SECRET)


class ToyFailure(RuntimeError):
    pass


def desired_children(toy: Mapping[str, Any]) -> list[dict[str, Any]]:
    name = toy["metadata"]["name"]
    spec = toy.get("spec") or {}
    data = {"message": str(spec.get("message", ""))}
    if spec.get("extraKey"):
        data["extra"] = "yes"
    children: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name},
            "spec": {"selector": {"toy": name}, "ports": [{"name": "main", "port": int(spec.get("port", 80))}]},
        },
    ]
    for index in range(int(spec.get("extraConfigMaps") or 0)):
        children.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-{index}"},
                         "data": {"index": str(index), "message": data["message"]}})
    if spec.get("withSecret"):
        children.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                         "stringData": {"token": f"token-of-{name}"}})
    return children


class ToyReconciler:
    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self.reconciles: Counter[Request] = Counter()
        self.failures: Counter[Request] = Counter()
        self.attempt_times: defaultdict[Request, list[float]] = defaultdict(list)
        self.last_error: dict[Request, Exception] = {}

    async def reconcile(self, request: Request) -> Result | None:
        self.reconciles[request] += 1
        self.attempt_times[request].append(time.monotonic())
        try:
            return await self._reconcile(request)
        except Exception as error:
            self.last_error[request] = error
            raise

    async def _reconcile(self, request: Request) -> Result | None:
        toy = self.manager.cache.get(TOY, request.name, request.namespace)
        if toy is None or toy["metadata"].get("deletionTimestamp"):
            return None
        fail_times = int((toy.get("spec") or {}).get("failTimes") or 0)
        if self.failures[request] < fail_times:
            self.failures[request] += 1
            raise ToyFailure(f"failing on purpose ({self.failures[request]} of {fail_times})")
        await self.manager.applier.ensure_children(toy, desired_children(toy), owned_kinds=OWNED_KINDS)
        conditions = Conditions.of(toy).set("Ready", True, "Synced", "children are in place")
        status = {
            "phase": "Synced",
            "observedGeneration": toy["metadata"].get("generation"),
            "conditions": conditions.items,
        }
        await self.manager.status.update(toy, status)
        return None


def toy_controller(manager: Manager, *, workers: int = 1) -> tuple[Controller, ToyReconciler]:
    reconciler = ToyReconciler(manager)
    controller = (
        ControllerBuilder(manager)
        .named("toy")
        .for_(TOY)
        .owns(CONFIG_MAP)
        .owns(SERVICE)
        .owns(SECRET)
        .with_options(max_concurrent_reconciles=workers)
        .complete(reconciler)
    )
    return controller, reconciler


def toy(name: str, namespace: str, *, message: str = "hello", port: int = 80, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": TOY.api_version,
        "kind": "Toy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"message": message, "port": port, **spec},
    }


@dataclass
class Engine:
    """A running manager with the toy controller, as tests and benchmarks start it."""

    client: Client
    manager: Manager
    controller: Controller
    reconciler: ToyReconciler
    task: asyncio.Task[None]
    reconciles: ReconcileLog = field(default_factory=ReconcileLog)

    def __post_init__(self) -> None:
        self.reconciles.install(self.manager)

    async def stop(self) -> None:
        self.manager.request_stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, 60)

    async def settled(self, timeout: float = 60) -> None:
        """Wait until reconciling every toy once more writes nothing, the cache equals the API server (no watch
        event of our own writes still on its way) and no key is queued or in progress."""
        await wait_settled(self.manager, self.reconciles, timeout=timeout)

    async def reconciled_since(self, since: Mapping[ReconcileKey, int], timeout: float = 60) -> None:
        """Wait until every toy has been reconciled to completion since `since` (a `reconciles.mark()`) and no key
        is queued or in progress."""
        await wait_reconciled_since(self.manager, self.reconciles, since, timeout=timeout)

    async def idle(self, settle: float = 0.3) -> None:
        """Wait until the controller has no key queued or in progress, and stays so for `settle` seconds (for
        benchmarks; a test waits for `settled` instead, which does not depend on the clock)."""
        loop = asyncio.get_running_loop()
        quiet_since = None
        while True:
            busy = self.controller.queue.busy
            now = loop.time()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= settle:
                return
            await asyncio.sleep(0.05)


EngineFactory = Callable[..., Awaitable[Engine]]
