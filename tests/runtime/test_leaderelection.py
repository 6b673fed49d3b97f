"""Leader election on a Lease: one manager reconciles, a standby takes over within lease + retry when the leader
dies, and sooner when the leader stops gracefully."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from teamop.runtime.errors import NotFound
from teamop.runtime.leaderelection import LEASE_GVK, LeaderElector
from teamop.testing.controlplane import ControlPlane
from teamop.testing.leases import LeaseHistory
from teamop.testing.toy import TOY, Engine, EngineFactory, toy
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane

LEASE_DURATION = 15.0
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
    # The standby tries the lease (one GET each time) every retry period: two more tries prove a whole period
    # has passed, by its own clock, since the toys were synced.
    def standby_tries() -> int:
        assert second.manager.elector is not None
        return second.manager.elector.client.requests.snapshot().verb("get", "leases")

    tries = standby_tries()
    await eventually_async(lambda: asyncio.sleep(0, standby_tries() >= tries + 2), timeout=30,
                           what="two more tries of the standby")
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

        async with LeaseHistory(standby.client, namespace, "toy-lease") as history:
            os.killpg(leader.pid, signal.SIGKILL)
            await leader.wait()
            # Measured on the Lease's record, not on when this busy test noticed: from the dead leader's last
            # renewal (its lease expires lease-duration later) to the standby's acquireTime.
            await eventually_async(lambda: asyncio.sleep(0, standby.manager.leading), timeout=TAKEOVER_LIMIT * 3,
                                   what="the standby leads")
            await eventually_async(lambda: asyncio.sleep(0, "standby" in history.holders()), timeout=30,
                                   what="the standby's acquisition in the Lease")
        assert history.holders() == ["doomed", "standby"]
        last_renewal, takeover = history.last_of_tenure("doomed"), history.first_by("standby")
        assert last_renewal.renewed is not None
        assert takeover.acquired is not None
        took = (takeover.acquired - last_renewal.renewed).total_seconds()
        # Never before the dead leader's lease expired (a second's leeway: each side stamps its time before its
        # requests).
        assert takeover.acquired >= last_renewal.expires - dt.timedelta(seconds=1), "took a lease not expired"
        assert took <= TAKEOVER_LIMIT, f"standby took over {took:.1f} s after the last renewal"
        await eventually_async(
            lambda: asyncio.sleep(0, sum(standby.reconciler.reconciles.values()) > 0), timeout=10,
            what="the new leader reconciles",
        )
        assert await lease_holder(standby, namespace, "toy-lease") == "standby"
        print(f"takeover after SIGKILL: {took:.1f} s after the last renewal")
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

    async with LeaseHistory(second.client, namespace, "toy-lease") as history:
        await first.stop()
        await eventually_async(lambda: asyncio.sleep(0, second.manager.leading), timeout=60,
                               what="the second leads")
        await eventually_async(lambda: asyncio.sleep(0, "second" in history.holders()), timeout=30,
                               what="the second's acquisition in the Lease")
    # Measured on the Lease's record: from the release the first wrote to the second's acquireTime.
    assert history.holders() == ["first", "", "second"]
    released, taken = history.last_of_tenure(""), history.first_by("second")
    assert released.renewed is not None
    assert taken.acquired is not None
    took = (taken.acquired - released.renewed).total_seconds()
    assert took < LEASE_DURATION / 2, f"handover {took:.1f} s after the release"
    print(f"handover after a graceful stop: {took:.1f} s")


async def test_a_leader_that_cannot_renew_gives_up_within_the_renew_deadline(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await start_engine(namespace)
    elector = LeaderElector(engine.client, lease_name="short", lease_namespace=namespace, identity="me",
                            lease_duration=3, renew_deadline=2, retry_period=0.5)
    await asyncio.wait_for(elector.acquire(), 10)
    assert elector.is_leader
    async with LeaseHistory(engine.client, namespace, "short") as history:
        holding = asyncio.get_running_loop().create_task(elector.hold())
        gave_up: list[dt.datetime] = []
        holding.add_done_callback(lambda _: gave_up.append(dt.datetime.now(dt.UTC)))
        await eventually_async(lambda: asyncio.sleep(0, len(history.records) >= 2), timeout=10,
                               what="a renewal")
        # Someone else takes the lease over by force: our renewals now fail.
        await asyncio.to_thread(
            controlplane.kubectl, "-n", namespace, "patch", "lease", "short", "--type=merge",
            "-p", '{"spec": {"holderIdentity": "thief", "leaseDurationSeconds": 60}}',
        )
        await asyncio.wait_for(holding, 30)
    assert not elector.is_leader
    # Measured from its last renewal on the Lease's record to the moment `hold` returned.
    last_renewal = history.last_of_tenure("me").renewed
    assert last_renewal is not None
    assert (gave_up[0] - last_renewal).total_seconds() <= 2 + 0.5 + 1.0
