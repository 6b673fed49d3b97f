"""The manager serves probes and Prometheus metrics with controller-runtime's names, and stops in order on
SIGTERM (releasing its lease)."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from teamop.runtime import metrics
from teamop.runtime.health import HttpEndpoints
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import TOY, EngineFactory, toy
from teamop.testing.wait import eventually_async

EXPECTED_SERIES = [
    r'controller_runtime_reconcile_total\{controller="toy",result="success"\}',
    r'controller_runtime_reconcile_errors_total\{controller="toy"\}',
    r'controller_runtime_reconcile_time_seconds_bucket\{controller="toy",le="[^"]+"\}',
    r'controller_runtime_active_workers\{controller="toy"\}',
    r'controller_runtime_max_concurrent_reconciles\{controller="toy"\}',
    r'workqueue_depth\{name="toy"\}',
    r'workqueue_adds_total\{name="toy"\}',
    r'workqueue_queue_duration_seconds_bucket\{le="[^"]+",name="toy"\}',
    r'workqueue_work_duration_seconds_bucket\{le="[^"]+",name="toy"\}',
    r'workqueue_retries_total\{name="toy"\}',
    r'workqueue_unfinished_work_seconds\{name="toy"\}',
    r'workqueue_longest_running_processor_seconds\{name="toy"\}',
    r'rest_client_requests_total\{code="200",method="GET"\}',
    r'leader_election_master_status\{name="metrics-lease"\} 1\.0',
]


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


@pytest.mark.controlplane
async def test_metrics_expose_controller_runtime_names_with_their_labels(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await start_engine(
        namespace, health_addr="127.0.0.1:0", metrics_addr="127.0.0.1:0", leader_election=True,
        lease_name="metrics-lease", lease_namespace=namespace,
    )
    body = yaml.safe_dump(toy("a", namespace))
    await asyncio.to_thread(controlplane.kubectl, "create", "-f", "-", input=body)

    async def synced() -> bool:
        obj = engine.manager.cache.get(TOY, "a", namespace)
        return ((obj or {}).get("status") or {}).get("phase") == "Synced"

    await eventually_async(synced, timeout=30, what="toy Synced")
    status, text = await fetch(engine.manager.http.url("metrics") + "/metrics")
    assert status == 200
    missing = [pattern for pattern in EXPECTED_SERIES if not re.search(pattern, text)]
    assert not missing, missing


@pytest.mark.controlplane
async def test_probes_say_healthy_and_ready_once_caches_synced(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await start_engine(namespace, health_addr="127.0.0.1:0", metrics_addr=None)
    base = engine.manager.http.url("health")
    assert await fetch(base + "/healthz") == (200, "ok")
    assert await fetch(base + "/readyz") == (200, "ok")
    assert (await fetch(base + "/metrics"))[0] == 404  # metrics only where metrics_addr says


async def test_readyz_answers_503_with_the_reason_until_ready() -> None:
    endpoints = HttpEndpoints(healthy=lambda: None, ready=lambda: "caches not synced", registry=metrics.REGISTRY)
    await endpoints.start("127.0.0.1:0", "127.0.0.1:0")
    try:
        base = endpoints.url("health")
        assert await fetch(base + "/readyz") == (503, "caches not synced")
        status, text = await fetch(base + "/metrics")
        assert status == 200  # one server serves both when the addresses are equal
        assert "workqueue_depth" in text
    finally:
        await endpoints.stop()


GRACE_PERIOD = 3600.0


@pytest.mark.controlplane
async def test_sigterm_stops_the_manager_and_releases_its_lease(
    controlplane: ControlPlane, namespace: str, toy_crd: str, tmp_path: Path
) -> None:
    log = (tmp_path / "manager.log").open("w")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "teamop.testing.toy_manager", "--kubeconfig", str(controlplane.kubeconfig),
        "--namespace", namespace, "--lease-name", "term-lease", "--identity", "terminated",
        "--grace-period", str(GRACE_PERIOD), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:

        def holder() -> str:
            return controlplane.kubectl(
                "-n", namespace, "get", "lease", "term-lease", "-o", "jsonpath={.spec.holderIdentity}", check=False
            ).stdout

        await eventually_async(lambda: asyncio.to_thread(lambda: holder() == "terminated"), timeout=30,
                               what="the manager holds the lease")
        process.send_signal(signal.SIGTERM)
        # With nothing in flight it stops without waiting out its grace period (an hour, far beyond this wait).
        code = await asyncio.wait_for(process.wait(), GRACE_PERIOD / 60)
        assert code == 0
        assert holder() == ""
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()
