"""The operator's controllers running in-process against a cluster, for tests and `teamop dev`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from teamop.runtime.client import Client
from teamop.runtime.manager import Manager
from teamop.testing.settle import ReconcileKey, ReconcileLog, wait_reconciled_since, wait_settled

SetupFunction = Callable[[Manager], None]


@dataclass
class RunningOperator:
    client: Client
    manager: Manager
    task: asyncio.Task[None]
    reconciles: ReconcileLog = field(default_factory=ReconcileLog)

    async def reconciled_everything(self, since: Mapping[ReconcileKey, int] | None = None,
                                    timeout: float = 120) -> None:
        """Wait until every object of each controller's kind has been reconciled to completion (since `since`, a
        `reconciles.mark()`; by default since the start) and no key is queued or in progress."""
        await wait_reconciled_since(self.manager, self.reconciles, since or {}, timeout=timeout)

    async def settled(self, timeout: float = 120) -> None:
        """Wait until reconciling everything once more writes nothing and the cache equals the API server."""
        await wait_settled(self.manager, self.reconciles, timeout=timeout)

    async def stop(self) -> None:
        """Stop as on SIGTERM: in-flight reconciles finish, informers stop."""
        self.manager.request_stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 30)

    async def close(self) -> None:
        if not self.task.done():
            await self.stop()
        await self.client.close()


async def start_operator(
    kubeconfig: Path,
    setups: Sequence[SetupFunction],
    *,
    namespaces: str | list[str] | None = None,
    sync_timeout: float = 60,
) -> RunningOperator:
    """Start a manager with the given controllers; returns once its caches have synced and workers run."""
    client = await Client.from_kubeconfig(str(kubeconfig))
    manager = Manager(client, namespaces=namespaces, health_addr=None, metrics_addr=None, grace_period=10)
    for setup in setups:
        setup(manager)
    reconciles = ReconcileLog()
    reconciles.install(manager)
    task = asyncio.get_running_loop().create_task(manager.run())
    operator = RunningOperator(client, manager, task, reconciles)
    deadline = asyncio.get_running_loop().time() + sync_timeout
    while not (manager.cache.informers() and manager.cache.has_synced and manager.reconciling):
        if task.done():
            await client.close()
            task.result()
        if asyncio.get_running_loop().time() > deadline:
            await operator.close()
            raise TimeoutError("the operator's caches did not sync")
        await asyncio.sleep(0.05)
    return operator


OperatorFactory = Callable[..., Awaitable[RunningOperator]]
