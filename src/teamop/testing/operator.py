"""The operator's controllers running in-process against a cluster, for tests and `teamop dev`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from teamop.runtime.client import Client
from teamop.runtime.manager import Manager

SetupFunction = Callable[[Manager], None]


@dataclass
class RunningOperator:
    client: Client
    manager: Manager
    task: asyncio.Task[None]

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
    task = asyncio.get_running_loop().create_task(manager.run())
    operator = RunningOperator(client, manager, task)
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
