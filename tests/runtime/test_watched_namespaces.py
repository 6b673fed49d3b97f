"""`teamop run --watch-namespaces` with 12 namespaces and a Site in each: every Site becomes Ready, no request
fails for want of a connection, and the operator keeps renewing its lease (a watch per kind and namespace once
held every pooled connection: the caches never synced)."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from teamop.testing.controlplane import ControlPlane
from teamop.testing.postgres import PostgresServer
from teamop.testing.processes import free_port
from teamop.testing.wait import eventually_async, until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

NAMESPACES = 12
LEASE = "watched-namespaces"
SAMPLE = Path(__file__).resolve().parents[2] / "config" / "samples" / "site-minimal.yaml"


def site_objects(name: str, namespace: str, server: PostgresServer) -> list[dict[str, Any]]:
    site: dict[str, Any] = copy.deepcopy(yaml.safe_load(SAMPLE.read_text()))
    site["metadata"] = {"name": name, "namespace": namespace}
    site["spec"]["domain"] = f"{name}.example.test"
    site["spec"]["secret"]["vaultName"] = site["spec"]["workloadSecret"]["vaultName"] = name
    site["spec"]["mainDatabaseCredentialSecret"]["vaultName"] = f"{name}-db-creds"
    return [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
         "stringData": {"main-database-url": server.admin_url_without_credentials}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{name}-db-creds", "namespace": namespace},
         "stringData": {"username": server.superuser, "password": server.password}},
        site,
    ]


@pytest.fixture
def namespaces(controlplane: ControlPlane) -> Iterator[list[str]]:
    suffix = uuid.uuid4().hex[:6]
    names = [f"watched-{index:02d}-{suffix}" for index in range(NAMESPACES)]
    for name in names:
        controlplane.kubectl("create", "namespace", name)
    yield names
    for name in names:
        controlplane.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


def ready_namespaces(plane: ControlPlane, namespaces: list[str]) -> set[str]:
    items = json.loads(plane.kubectl("get", "sites", "-A", "-o", "json").stdout)["items"]
    return {item["metadata"]["namespace"] for item in items
            if item["metadata"]["namespace"] in namespaces and (item.get("status") or {}).get("ready") is True}


def lease_spec(plane: ControlPlane, namespace: str) -> dict[str, Any]:
    lease = json.loads(plane.kubectl("-n", namespace, "get", "lease", LEASE, "-o", "json").stdout)
    spec: dict[str, Any] = lease["spec"]
    return spec


def requests_without_answer(metrics_url: str) -> float:
    """Requests that got no HTTP answer (a connection that could not be had, or broke), from /metrics."""
    text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    return sum(float(value) for value in re.findall(r'^rest_client_requests_total\{code="<error>"[^}]*\} (\S+)$',
                                                      text, re.MULTILINE))


def rss_mb(pid: int) -> float:
    return int(re.findall(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())[0]) / 1024


def connections_to(pid: int, port: int) -> int | None:
    """The process's established TCP connections to `port` (None without `ss`); a figure, not a check."""
    if shutil.which("ss") is None:
        return None
    out = subprocess.run(["ss", "-tnp", "state", "established", f"dport = :{port}"], capture_output=True,
                         text=True, check=False).stdout
    return sum(1 for line in out.splitlines() if f"pid={pid}," in line)


async def test_an_operator_watching_12_namespaces_makes_each_site_ready_and_keeps_its_lease(
    controlplane: ControlPlane, postgres: PostgresServer, namespaces: list[str], tmp_path: Path
) -> None:
    objects = [obj for index, namespace in enumerate(namespaces)
               for obj in site_objects(f"w{index:02d}{namespace[-6:]}", namespace, postgres)]
    controlplane.kubectl("apply", "--server-side", "-f", "-",
                         input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    metrics_port = free_port()
    log = (tmp_path / "operator.log").open("w")
    started = time.monotonic()
    operator = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "teamop.cli", "run", f"--kubeconfig={controlplane.kubeconfig}",
        f"--watch-namespaces={','.join(namespaces)}", "--leader-elect", f"--leader-election-namespace={namespaces[0]}",
        f"--leader-election-id={LEASE}", f"--metrics-bind-address=127.0.0.1:{metrics_port}",
        "--health-probe-bind-address=0", "--log-format=json", stdout=log, stderr=subprocess.STDOUT,
    )
    apiserver_port = int(controlplane.server.rsplit(":", 1)[1])
    peak_connections = 0
    try:

        async def all_ready() -> bool:
            nonlocal peak_connections
            assert operator.returncode is None, f"teamop run exited with {operator.returncode}; see {log.name}"
            peak_connections = max(peak_connections, connections_to(operator.pid, apiserver_port) or 0)
            return await asyncio.to_thread(ready_namespaces, controlplane, namespaces) == set(namespaces)

        await eventually_async(all_ready, timeout=240, interval=1,
                               what=f"a Ready Site in each of {NAMESPACES} namespaces")
        converged = time.monotonic() - started

        holder = lease_spec(controlplane, namespaces[0])
        renewals = {holder["renewTime"]}

        def renewed_twice() -> bool:
            spec = lease_spec(controlplane, namespaces[0])
            assert spec["holderIdentity"] == holder["holderIdentity"]
            renewals.add(spec["renewTime"])
            return len(renewals) >= 3

        await until(renewed_twice, timeout=120, what="two more lease renewals")
        assert operator.returncode is None
        assert lease_spec(controlplane, namespaces[0])["leaseTransitions"] == 0
        assert requests_without_answer(f"http://127.0.0.1:{metrics_port}/metrics") == 0
        print(f"{NAMESPACES} watched namespaces: every Site Ready {converged:.1f} s after teamop run started; "
              f"{peak_connections} connections to the API server at most, "
              f"{connections_to(operator.pid, apiserver_port)} at the end; RSS {rss_mb(operator.pid):.0f} MB")
    finally:
        if operator.returncode is None:
            operator.terminate()
        await asyncio.wait_for(operator.wait(), 60)
        log.close()
