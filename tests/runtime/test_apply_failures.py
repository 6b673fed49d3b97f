"""When several children of one phase fail to be written at once, every failure is reported: the first is raised
(and logged by the reconcile that fails), each other one is logged."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from structlog.testing import capture_logs

from teamop.runtime.errors import ApiError
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import OWNED_KINDS, TOY, EngineFactory, toy
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane

REFUSED = ("Refused-One", "Refused-Two", "Refused-Three")  # upper case: not a valid object name


async def test_every_refused_write_of_a_parallel_phase_is_reported(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await start_engine(namespace)
    await asyncio.to_thread(controlplane.kubectl, "create", "-f", "-", input=yaml.safe_dump(toy("owner", namespace)))
    owner = await eventually_async(lambda: asyncio.sleep(0, engine.manager.cache.get(TOY, "owner", namespace)),
                                   what="the owner in the cache")
    children = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {}} for name in REFUSED]

    with capture_logs() as logs, pytest.raises(ApiError) as raised:
        await engine.manager.applier.ensure_children(owner, children, owned_kinds=OWNED_KINDS)

    reported = [str(raised.value)] + [str(entry["error"]) for entry in logs if entry["event"] == "write failed"]
    assert len(reported) == len(REFUSED)
    assert all(any(name in report for report in reported) for name in REFUSED), reported
