"""End-to-end figures of the operator's main job on the local control plane (issue 9), printed as a table:

- time from `kubectl apply` of a full Site to Site Ready (median of --repeat runs);
- API requests and writes the operator made to converge one full Site, and writes during --steady seconds after;
- convergence time and the operator's resident memory for 1, 10 and 50 Sites in separate namespaces;
- time for a restarted operator to resync those Sites, and the writes it makes (target 0).

The operator runs as its own process (`teamop run`); its requests are read from its own /metrics
(`rest_client_requests_total{method,code}`), its memory from /proc.

    python -m bench.e2e [--repeat 5] [--steady 60] [--sites 1,10,50]
    python -m bench.e2e --scale [user:25:one,user:100:each,...] [--operator-arg=--max-concurrent-reconciles=4]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from bench import scale
from bench.operator_metrics import Metrics
from bench.scale import DEFAULT_SCENARIOS
from teamop.testing.controlplane import ControlPlane
from teamop.testing.postgres import PostgresServer
from teamop.testing.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Rows(list[tuple[str, str]]):
    """The table's rows; each is also printed as soon as it is measured."""

    def append(self, row: tuple[str, str]) -> None:
        print(f"  {row[0]}: {row[1]}", flush=True)
        super().append(row)


class Operator:
    """`teamop run` as a child process, with its metrics endpoint on a free port."""

    def __init__(self, kubeconfig: Path, log_path: Path, extra_args: list[str] | None = None) -> None:
        self.extra_args = ["--max-concurrent-reconciles=4"] if extra_args is None else extra_args
        self.port = free_port()
        self.health_port = free_port()
        self.kubeconfig = kubeconfig
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "teamop.cli", "run", f"--kubeconfig={self.kubeconfig}",
                 f"--metrics-bind-address=127.0.0.1:{self.port}",
                 f"--health-probe-bind-address=127.0.0.1:{self.health_port}",
                 "--log-format=json", f"--log-level={os.environ.get('TEAMOP_E2E_LOG_LEVEL', 'warning')}",
                 *self.extra_args],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.requests()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the operator did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
            self.process = None

    def wait_synced(self, timeout: float = 60) -> None:
        """Until /readyz answers 200: every informer listed once (the caches synced)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/readyz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the operator's caches did not sync within {timeout} s")
            time.sleep(0.2)

    def requests(self) -> dict[str, float]:
        """Requests so far by method (all codes)."""
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5).read().decode()
        totals: dict[str, float] = {}
        for match in re.finditer(r'^rest_client_requests_total\{([^}]*)\} ([0-9.e+]+)$', text, re.MULTILINE):
            method = re.search(r'method="([A-Z]+)"', match.group(1))
            if method:
                totals[method.group(1)] = totals.get(method.group(1), 0) + float(match.group(2))
        return totals

    def metrics(self) -> Metrics:
        return Metrics.parse(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5).read().decode())

    def reconciles(self, controller: str) -> float:
        """Reconciles the controller finished so far (any result)."""
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5).read().decode()
        pattern = rf'^controller_runtime_reconcile_total\{{[^}}]*controller="{controller}"[^}}]*\}} ([0-9.e+]+)$'
        return sum(float(m.group(1)) for m in re.finditer(pattern, text, re.MULTILINE))

    def rss_mb(self) -> float:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return kib / 1024


def delta(after: dict[str, float], before: dict[str, float]) -> tuple[int, int]:
    total = sum(after.values()) - sum(before.values())
    writes = sum(after.get(m, 0) - before.get(m, 0) for m in WRITE_METHODS)
    return int(total), int(writes)


def site_objects(name: str, namespace: str, server: PostgresServer) -> list[dict[str, Any]]:
    site: dict[str, Any] = copy.deepcopy(yaml.safe_load((ROOT / "config/samples/site-full.yaml").read_text()))
    site["metadata"] = {"name": name, "namespace": namespace}
    site["spec"]["domain"] = f"{namespace}.example.test"
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "orbit", "namespace": namespace},
         "stringData": {"main-database-url": server.admin_url_without_credentials}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "orbit-db-creds", "namespace": namespace},
         "stringData": {"username": server.superuser, "password": server.password}},
        site,
    ]


def apply_sites(plane: ControlPlane, server: PostgresServer, namespaces: list[str]) -> None:
    # Sites are named after their namespace: same-named Sites would share database names (COMPAT.md refuses that)
    items = [obj for ns in namespaces for obj in site_objects(ns, ns, server)]
    plane.kubectl("apply", "--server-side", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                        "items": items}))


def ready_sites(plane: ControlPlane) -> set[str]:
    items = json.loads(plane.kubectl("get", "sites", "-A", "-o", "json").stdout)["items"]
    return {i["metadata"]["namespace"] for i in items if (i.get("status") or {}).get("ready") is True}


def wait_ready(plane: ControlPlane, namespaces: list[str], timeout: float) -> float:
    started = time.monotonic()
    wanted = set(namespaces)
    while not wanted <= ready_sites(plane):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not Ready after {timeout} s: {sorted(wanted - ready_sites(plane))}")
        time.sleep(0.2)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steady", type=float, default=60.0, help="seconds of steady state to count writes in")
    parser.add_argument("--sites", default="1,10,50")
    parser.add_argument("--scale", nargs="?", const=DEFAULT_SCENARIOS, metavar="SHAPE:SITES:LAYOUT,...",
                        help="instead: the many-Sites table (bench/scale.py); shape sample or user, layout one "
                             f"(namespace) or each (Site its own); default {DEFAULT_SCENARIOS}")
    parser.add_argument("--operator-arg", action="append", default=[],
                        help="with --scale: a flag for teamop run (repeat; default: its own defaults)")
    parser.add_argument("--no-delete", action="store_true", help="with --scale: leave out timing the deletion")
    args = parser.parse_args()
    if args.scale:
        return scale.main(args.scale, args.operator_arg, delete=not args.no_delete)
    rows = Rows()

    with ControlPlane(crd_paths=[ROOT / "config/crd/bases"]) as plane, PostgresServer() as server:
        operator = Operator(plane.kubeconfig, Path(os.environ.get("TEAMOP_E2E_LOG", "/tmp/teamop-e2e-operator.log")))
        operator.start()
        try:
            operator.wait_synced()
            time.sleep(5)  # let the start-up's garbage settle before reading the resident memory
            rows.append(("operator RSS idle, caches synced, no Site", f"{operator.rss_mb():.0f} MB"))
            times, requests, writes = [], [], []
            for run in range(args.repeat):
                namespace = f"e2e-one-{run}"
                before = operator.requests()
                apply_sites(plane, server, [namespace])
                times.append(wait_ready(plane, [namespace], 300))
                time.sleep(3)  # let the last status writes land before counting
                total, written = delta(operator.requests(), before)
                requests.append(total)
                writes.append(written)
            if times:
                rows.append((f"apply → Site Ready, one full Site (median of {args.repeat})",
                             f"{statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f})"))
                rows.append(("requests to converge one full Site (median)",
                             f"{statistics.median(requests):.0f} ({statistics.median(writes):.0f} writes)"))
            before = operator.requests()
            time.sleep(args.steady)
            total, written = delta(operator.requests(), before)
            rows.append((f"steady state, {args.steady:.0f} s after convergence", f"{total} requests, {written} writes"))

            for count in [int(n) for n in args.sites.split(",") if n]:
                namespaces = [f"e2e-{count}-{i}" for i in range(count)]
                apply_sites(plane, server, namespaces)
                seconds = wait_ready(plane, namespaces, 900)
                time.sleep(3)
                rows.append((f"{count} Site(s): apply → all Ready", f"{seconds:.1f} s, operator RSS "
                                                                    f"{operator.rss_mb():.0f} MB"))
            sites = len(ready_sites(plane))
            operator.stop()
            started = time.monotonic()
            operator.start()
            before = operator.requests()
            while operator.reconciles("site") < sites:
                time.sleep(0.1)
            resynced = time.monotonic() - started
            time.sleep(20)
            total, written = delta(operator.requests(), before)
            rows.append((f"restart with {sites} converged Sites",
                         f"every Site reconciled {resynced:.1f} s after the process started; then 20 s: "
                         f"{total} requests, {written} writes, RSS {operator.rss_mb():.0f} MB"))
        finally:
            operator.stop()

    width = max(len(label) for label, _ in rows)
    print(f"\nteamop end to end — {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
