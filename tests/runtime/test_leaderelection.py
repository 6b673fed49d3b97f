"""Leader election on a Lease: one manager reconciles, a standby takes over within lease + retry when the leader
dies, and sooner when the leader stops gracefully."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from teamop.runtime.errors import NotFound
from teamop.runtime.leaderelection import LEASE_GVK, LeaderElector
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import TOY, Engine, EngineFactory, toy
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane

TAKEOVER_LIMIT = 20.0  # lease (15 s) + retry (2 s) + jitter and a request


async def lease_holder(engine: Engine, namespace: str, lease: str) -> str | None:
    try:
        obj = await engine.client.get(LEASE_GVK, lease, namespace)
    except NotFound:
        return None
    return (obj.get("spec") or {}).get("holderIdentity")


async def create_toys(plane: ControlPlane, namespace: str, *names: str) -> None:
    body = "\n---\n".join(yaml.safe_dump(toy(name, namespace)) for name in names)
    await asyncio.to_thread(plane.kubectl, "create", "-f", "-", input=body)


def all_synced(engine: Engine, namespace: str, *names: str) -> object:
    async def check() -> bool:
        return all(
            ((engine.manager.cache.get(TOY, name, namespace) or {}).get("status") or {}).get("phase") == "Synced"
            for name in names
        )

    return check


def elect(namespace: str, identity: str) -> dict[str, object]:
    return {"leader_election": True, "lease_name": "toy-lease", "lease_namespace": namespace, "identity": identity}


async def test_only_the_leader_reconciles(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    first = await start_engine(namespace, **elect(namespace, "first"))
    await eventually_async(lambda: asyncio.sleep(0, first.manager.leading), timeout=10, what="first leads")
    second = await start_engine(namespace, **elect(namespace, "second"))
    await create_toys(controlplane, namespace, "a", "b", "c")

    await eventually_async(all_synced(first, namespace, "a", "b", "c"), timeout=30, what="toys Synced")
    await asyncio.sleep(2.5)  # more than one retry period of the standby
    assert sum(first.reconciler.reconciles.values()) >= 3
    assert sum(second.reconciler.reconciles.values()) == 0
    assert not second.manager.leading
    assert not second.controller.running
    assert await lease_holder(first, namespace, "toy-lease") == "first"


async def test_a_standby_takes_over_when_the_leader_process_is_killed(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory, tmp_path: Path
) -> None:
    log = (tmp_path / "leader.log").open("w")
    leader = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "teamop.testing.toy_manager", "--kubeconfig", str(controlplane.kubeconfig),
        "--namespace", namespace, "--lease-name", "toy-lease", "--identity", "doomed",
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:

        async def doomed_leads() -> bool:
            result = await asyncio.to_thread(
                controlplane.kubectl, "-n", namespace, "get", "lease", "toy-lease",
                "-o", "jsonpath={.spec.holderIdentity}", check=False,
            )
            return result.stdout == "doomed"

        await eventually_async(doomed_leads, timeout=30, what="the subprocess holds the lease")
        standby = await start_engine(namespace, **elect(namespace, "standby"))
        await create_toys(controlplane, namespace, "a")
        await eventually_async(all_synced(standby, namespace, "a"), timeout=30, what="toy Synced by the leader")
        assert sum(standby.reconciler.reconciles.values()) == 0

        os.killpg(leader.pid, signal.SIGKILL)
        await leader.wait()
        killed = time.monotonic()
        while not standby.manager.leading:
            assert time.monotonic() - killed <= TAKEOVER_LIMIT, "standby did not take over in time"
            await asyncio.sleep(0.1)
        took = time.monotonic() - killed
        await eventually_async(
            lambda: asyncio.sleep(0, sum(standby.reconciler.reconciles.values()) > 0), timeout=10,
            what="the new leader reconciles",
        )
        assert await lease_holder(standby, namespace, "toy-lease") == "standby"
        print(f"takeover after SIGKILL: {took:.1f} s")
    finally:
        if leader.returncode is None:
            os.killpg(leader.pid, signal.SIGKILL)
            await leader.wait()
        log.close()


async def test_a_graceful_stop_hands_over_faster_than_the_lease_duration(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    first = await start_engine(namespace, **elect(namespace, "first"))
    await eventually_async(lambda: asyncio.sleep(0, first.manager.leading), timeout=10, what="first leads")
    second = await start_engine(namespace, **elect(namespace, "second"))
    await asyncio.sleep(0.5)

    stopped = time.monotonic()
    await first.stop()
    while not second.manager.leading:
        assert time.monotonic() - stopped < 8, "no handover within 8 s of a graceful stop"
        await asyncio.sleep(0.05)
    took = time.monotonic() - stopped
    assert took < 15 / 2
    print(f"handover after a graceful stop: {took:.1f} s")


async def test_a_leader_that_cannot_renew_gives_up_within_the_renew_deadline(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await start_engine(namespace)
    elector = LeaderElector(engine.client, lease_name="short", lease_namespace=namespace, identity="me",
                            lease_duration=3, renew_deadline=2, retry_period=0.5)
    await asyncio.wait_for(elector.acquire(), 10)
    assert elector.is_leader
    # Someone else takes the lease over by force: our renewals now fail.
    await asyncio.to_thread(
        controlplane.kubectl, "-n", namespace, "patch", "lease", "short", "--type=merge",
        "-p", '{"spec": {"holderIdentity": "thief", "leaseDurationSeconds": 60}}',
    )
    started = time.monotonic()
    await asyncio.wait_for(elector.hold(), 10)
    assert not elector.is_leader
    assert time.monotonic() - started <= 2 + 0.5 + 1.0
