"""What the operator keeps of the Secrets in its namespaces: teamop's own whole, the ones a Site or a database names
by name (read once, read again when they change), and of every other Secret only that it exists — so thousands of
unrelated Secrets (Helm releases, tokens, other apps' data) cost the operator almost nothing."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from teamop.controllers.kinds import SECRET
from teamop.controllers.registry import setup_operator
from teamop.controllers.secrets import secret_data, secret_reader
from teamop.runtime.manager import Manager
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.wait import eventually_async, until

UNRELATED = 2000
BUDGET = 2 * 1024 * 1024


def secret(name: str, namespace: str, data: dict[str, str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}}


def apply(plane: ControlPlane, *objects: dict[str, Any]) -> None:
    plane.kubectl("apply", "--server-side", "-o", "name", "-f", "-",
                  input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))


def secrets_known(manager: Manager, namespace: str) -> int:
    """How many Secrets of `namespace` the operator knows exist (its unfiltered, metadata-only informer)."""
    return len(manager.cache.get_informer(SECRET, namespace=manager.namespaces).list(namespace))


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    yield
    tracemalloc.stop()


def traced_now() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@pytest.mark.controlplane
async def test_two_thousand_unrelated_secrets_grow_the_operators_memory_by_less_than_two_mib(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory, traced: None
) -> None:
    running = await operator([setup_operator], namespaces=namespace)
    before = traced_now()

    kib_of_data = "x" * 1024
    for start in range(0, UNRELATED, 500):
        apply(controlplane, *(secret(f"unrelated-{n:04d}", namespace, {"data": kib_of_data})
                              for n in range(start, start + 500)))
    await until(lambda: secrets_known(running.manager, namespace) >= UNRELATED, timeout=120,
                what="the operator to have heard of every Secret")

    grown = traced_now() - before
    assert grown < BUDGET, f"{grown / 1024 / 1024:.2f} MiB for {UNRELATED} Secrets"
    assert secret_reader(running.manager).kept() == []  # no unrelated Secret's data is held


@pytest.mark.controlplane
async def test_a_named_secret_is_read_once_and_again_after_it_changes(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory
) -> None:
    apply(controlplane, secret("licence", namespace, {"pub-license": "first"}))
    running = await operator([setup_operator], namespaces=namespace)
    reader = secret_reader(running.manager)

    assert await secret_data(reader, namespace, "licence") == {"pub-license": "first"}
    assert await secret_data(reader, namespace, "licence") == {"pub-license": "first"}
    assert reader.gets == 1

    apply(controlplane, secret("licence", namespace, {"pub-license": "rotated"}))

    async def rotated() -> bool:
        return await secret_data(reader, namespace, "licence") == {"pub-license": "rotated"}

    await eventually_async(rotated, timeout=30, what="the rotated licence to be read")
    assert reader.gets == 2
    assert await secret_data(reader, namespace, "absent") is None


@pytest.mark.controlplane
async def test_teamops_own_secrets_are_read_from_their_informer_without_a_request(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory
) -> None:
    running = await operator([setup_operator], namespaces=namespace)
    apply(controlplane, secret("site-connect-generated", namespace, {"key": "value"},
                               labels=running.manager.managed_by.labels()))
    reader = secret_reader(running.manager)

    async def read() -> bool:
        return await secret_data(reader, namespace, "site-connect-generated") == {"key": "value"}

    await eventually_async(read, timeout=30, what="the operator's own Secret to be cached")
    assert reader.gets == 0


@pytest.mark.controlplane
async def test_reads_of_one_named_secret_at_the_same_time_share_one_request(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory
) -> None:
    apply(controlplane, secret("workload", namespace, {"main-database-url": "postgres://db:5432"}))
    running = await operator([setup_operator], namespaces=namespace)
    reader = secret_reader(running.manager)

    read = await asyncio.gather(*(secret_data(reader, namespace, "workload") for _ in range(5)))

    assert read == [{"main-database-url": "postgres://db:5432"}] * 5
    assert reader.gets == 1
