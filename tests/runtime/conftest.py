"""Fixtures for the engine's tests on the real control plane: the toy CRD and a running manager."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from teamop.runtime.cache import InformerCache
from teamop.runtime.client import Client
from teamop.runtime.manager import Manager
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import Engine, EngineFactory, toy_controller

TOY_CRD = Path(__file__).with_name("toy-crd.yaml")


@pytest.fixture(scope="session")
def toy_crd(controlplane: ControlPlane) -> str:
    controlplane.kubectl("apply", "--server-side", "-f", str(TOY_CRD))
    controlplane.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/toys.runtime.teamop.dev")
    return "toys.runtime.teamop.dev"


@pytest.fixture
async def client(controlplane: ControlPlane, toy_crd: str) -> AsyncIterator[Client]:
    """A client of the control plane once the toy CRD is served. (Modules whose tests read the client's metrics
    define their own, with a metrics registry of its own.)"""
    async with await Client.from_kubeconfig(str(controlplane.kubeconfig)) as api:
        yield api


@pytest.fixture
async def cache(client: Client) -> AsyncIterator[InformerCache]:
    """An informer cache on `client`, stopped after the test."""
    informers = InformerCache(client)
    yield informers
    await informers.stop()


@pytest.fixture
async def start_engine(controlplane: ControlPlane, toy_crd: str) -> AsyncIterator[EngineFactory]:
    """Start a manager with the toy controller: `await start_engine(namespace, **manager_options)`."""
    engines: list[Engine] = []

    async def start(namespace: str, *, workers: int = 1, wait_sync: bool = True, **options: Any) -> Engine:
        client = await Client.from_kubeconfig(str(controlplane.kubeconfig))
        options.setdefault("health_addr", None)
        options.setdefault("metrics_addr", None)
        manager = Manager(client, namespaces=namespace, grace_period=10, **options)
        controller, reconciler = toy_controller(manager, workers=workers)
        task = asyncio.get_running_loop().create_task(manager.run())
        engine = Engine(client, manager, controller, reconciler, task)
        engines.append(engine)
        if wait_sync:
            while not manager.cache.has_synced or not manager.cache.informers():
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        return engine

    yield start
    for engine in engines:
        await engine.stop()
        await engine.client.close()
