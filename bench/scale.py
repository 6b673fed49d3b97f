"""Many Sites at once (issue 22): the table of `python -m bench.e2e --scale`.

Each scenario (shape, number of Sites, namespaces) runs on a control plane of its own (so that CPU seconds and
memory are the scenario's alone), with one PostgreSQL server for all, and `teamop run` as its own process with its
default settings:

1. the Sites, their Secrets and namespaces are applied in one `kubectl apply`;
2. a watch on Deployments and StatefulSets times when all of the Sites' workloads exist, and when all are
   available; then every Site Ready, and the operator idle (no key queued, no reconcile running);
3. requests per Site: the operator's own `rest_client_requests_total` from the apply until idle, divided by Sites;
4. CPU seconds of every control-plane process and of the operator over the same span (`/proc/<pid>/stat`), and
   the operator's peak resident memory (VmHWM);
5. restart: the operator is stopped and started again with nothing changed; its writes are counted until it has
   reconciled every Site and is idle again (a condition, not a fixed time);
6. delete (scenarios of at most 25 Sites): every Site deleted at once, timed until no Site and no
   PostgresDatabase remains.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import controller_manager
from bench.operator_metrics import controller_summary
from bench.process_usage import CpuMeter, rss_mb
from bench.site_shapes import site_objects
from bench.workload_watch import WorkloadWatch
from teamop.testing.controlplane import ControlPlane
from teamop.testing.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS_PER_SITE = 5  # Connect, Workbench, Package Manager, Flightdeck Deployments; Chronicle's StatefulSet
CONTROL_PLANE = ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok", "provisioner")
DEFAULT_SCENARIOS = ("user:25:one,user:25:one:4,user:25:each,user:100:each,user:100:each:8,sample:25:one,"
                     "sample:25:each,sample:100:each")
# Deletion is timed for scenarios of at most this many Sites (the row is for 25): its pace is the garbage
# collector's of kube-controller-manager (20 requests/s), ~5 minutes for 100 Sites.
DELETE_AT_MOST = 25
# The Go operator's figures for 25 user-shaped Sites in one namespace, measured in issue 22 on this kind of machine
# (no Go operator binary exists here: they are the anchor of the targets, not re-measured).
GO_OPERATOR = {"created_s": 43.2, "available_s": 45.4, "requests_per_site": 91.9, "restart_writes": 425,
               "peak_rss_mb": 80.0, "delete_s": 72.5}


@dataclass(frozen=True)
class Scenario:
    shape: str
    sites: int
    layout: str  # "one": every Site in one namespace; "each": a namespace per Site
    workers: int | None = None  # --max-concurrent-reconciles (None: the operator's default)

    @classmethod
    def parse(cls, text: str) -> Scenario:
        """`shape:sites:layout[:workers]`, e.g. `user:25:one` or `user:25:one:4`."""
        shape, sites, layout, *workers = text.split(":")
        if layout not in ("one", "each"):
            raise ValueError(f"{text}: the layout is one (namespace) or each (Site its own)")
        return cls(shape, int(sites), layout, int(workers[0]) if workers else None)

    @property
    def label(self) -> str:
        where = "one namespace" if self.layout == "one" else "a namespace each"
        workers = f", {self.workers} workers" if self.workers else ""
        return f"{self.sites} {self.shape} Sites, {where}{workers}"

    def operator_args(self, common: list[str]) -> list[str]:
        return [*common, *([f"--max-concurrent-reconciles={self.workers}"] if self.workers else [])]


@dataclass
class Outcome:
    scenario: Scenario
    created_s: float = float("nan")
    available_s: float = float("nan")
    ready_s: float = float("nan")
    idle_s: float = float("nan")
    requests_per_site: float = float("nan")
    writes_per_site: float = float("nan")
    restart_writes: int = -1
    restart_requests: int = -1
    restart_idle_s: float = float("nan")
    peak_rss_mb: float = float("nan")
    delete_s: float = float("nan")
    cpu: dict[str, float] = field(default_factory=dict)
    controllers: list[str] = field(default_factory=list)
    status_writes: dict[str, int] = field(default_factory=dict)  # by kind; only with TEAMOP_E2E_LOG_LEVEL=debug
    controller_manager: list[str] = field(default_factory=list)


def wait_for(what: str, predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)
    return time.monotonic() - started


def _names(plane: ControlPlane, resource: str) -> list[tuple[str, str, bool]]:
    items = json.loads(plane.kubectl("get", resource, "-A", "-o", "json").stdout)["items"]
    return [(i["metadata"]["namespace"], i["metadata"]["name"], (i.get("status") or {}).get("ready") is True)
            for i in items]


def status_writes(log_path: Path, start: int) -> dict[str, int]:
    """Status writes by kind from the operator's debug log ("status written" lines) after byte `start`."""
    counts: Counter[str] = Counter()
    with log_path.open("rb") as log:
        log.seek(start)
        for line in log:
            if b'"status written"' in line:
                counts[str(json.loads(line).get("object", "?")).split()[0]] += 1
    return dict(counts)


def run_scenario(scenario: Scenario, index: int, server: PostgresServer, operator_args: list[str],
                 log_dir: Path, *, delete: bool = True) -> Outcome:
    from bench.e2e import Operator  # bench.e2e dispatches here

    outcome = Outcome(scenario)
    names = [f"s{index}x{i}" for i in range(scenario.sites)]
    namespaces = ([f"scale{index}"] * scenario.sites if scenario.layout == "one"
                  else [f"scale{index}-{i}" for i in range(scenario.sites)])
    items: list[dict[str, object]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                                      for ns in dict.fromkeys(namespaces)]
    for name, namespace in zip(names, namespaces, strict=True):
        items.extend(site_objects(scenario.shape, name, namespace, server))
    expected = WORKLOADS_PER_SITE * scenario.sites

    with ControlPlane(crd_paths=[ROOT / "config/crd/bases"]) as plane:
        operator = Operator(plane.kubeconfig, log_dir / f"operator-{index}.log",
                            extra_args=scenario.operator_args(operator_args))
        operator.start()
        try:
            operator.wait_synced()
            pids = {name: server_process.pid for name, server_process in plane.servers.items()
                    if server_process.pid and name in CONTROL_PLANE}
            assert operator.process is not None
            pids["teamop"] = operator.process.pid
            watch = WorkloadWatch(plane.bin_dir / "kubectl", plane.kubeconfig).start()
            try:
                before = operator.metrics()
                log_start = operator.log_path.stat().st_size
                kcm_before = controller_manager.Snapshot.take(plane)
                kcm_rate = controller_manager.RequestRate(plane).start()
                cpu = CpuMeter(pids).start()
                started = time.monotonic()
                plane.kubectl("apply", "--server-side", "-f", "-",
                              input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), timeout=600)
                timeout = 120 + 6 * scenario.sites
                wait_for("every workload created", lambda: watch.counts()[0] >= expected, timeout)
                outcome.created_s = watch.last(available=False) - started
                wait_for("every workload available", lambda: watch.counts()[1] >= expected, timeout)
                outcome.available_s = watch.last(available=True) - started
                wanted = set(zip(namespaces, names, strict=True))
                wait_for("every Site Ready", lambda: wanted <= {(ns, n) for ns, n, ready in _names(plane, "sites")
                                                                if ready}, timeout, interval=0.5)
                outcome.ready_s = time.monotonic() - started
                wait_for("the operator idle", lambda: operator.metrics().idle(), timeout)
                outcome.idle_s = time.monotonic() - started
                outcome.cpu = cpu.stop()
                after = operator.metrics()
                total, writes = (a - b for a, b in zip(after.requests(), before.requests(), strict=True))
                outcome.requests_per_site = total / scenario.sites
                outcome.writes_per_site = writes / scenario.sites
                outcome.peak_rss_mb = rss_mb(operator.process.pid, peak=True)
                outcome.controllers = controller_summary(before, after)
                outcome.status_writes = status_writes(operator.log_path, log_start)
                kcm_after = controller_manager.Snapshot.take(plane)
                kcm_rate.stop()
                outcome.controller_manager = controller_manager.summary(
                    kcm_before, kcm_after, controller_manager.ObjectCounts.count(plane), kcm_rate, started,
                    outcome.available_s)
            finally:
                watch.stop()
            operator.stop()
            operator.start()
            restarted = time.monotonic()
            before = operator.metrics()
            wait_for("every Site reconciled after the restart",
                     lambda: operator.metrics().sum("controller_runtime_reconcile_total", controller="site")
                     >= scenario.sites and operator.metrics().idle(), 300)
            outcome.restart_idle_s = time.monotonic() - restarted
            total, writes = (a - b for a, b in zip(operator.metrics().requests(), before.requests(), strict=True))
            outcome.restart_requests, outcome.restart_writes = int(total), int(writes)
            if not delete or scenario.sites > DELETE_AT_MOST:
                return outcome
            started = time.monotonic()
            plane.kubectl("delete", "sites", "--all", "-A", "--wait=false")
            wait_for("every Site and database deleted",
                     lambda: not _names(plane, "sites") and not _names(plane, "postgresdatabases"),
                     300 + 3 * scenario.sites, interval=0.5)
            outcome.delete_s = time.monotonic() - started
        finally:
            operator.stop()
    return outcome


def print_table(outcomes: list[Outcome]) -> None:
    print(f"\nteamop, many Sites — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    header = ("| scenario | all workloads created s | all available s | all Sites Ready s | requests / Site "
              "| writes / Site | restart writes | peak RSS MB | delete all s |")
    print(header)
    print("|" + "---|" * header.count(" |"))
    for o in outcomes:
        print(f"| {o.scenario.label} | {o.created_s:.1f} | {o.available_s:.1f} | {o.ready_s:.1f} | "
              f"{o.requests_per_site:.1f} | {o.writes_per_site:.1f} | {o.restart_writes} "
              f"(of {o.restart_requests} requests, idle after {o.restart_idle_s:.1f} s) | {o.peak_rss_mb:.0f} | "
              f"{o.delete_s:.1f} |")
    print("\nCPU seconds of each process from the apply until the operator was idle ('all': against the CPU seconds "
          "the machine's cores offered over that wall time):\n")
    names = ["teamop", *CONTROL_PLANE]
    print("| scenario | wall s | " + " | ".join(names) + " | all |")
    print("|" + "---|" * (len(names) + 3))
    for o in outcomes:
        print(f"| {o.scenario.label} | {o.idle_s:.1f} | " + " | ".join(f"{o.cpu.get(n, float('nan')):.1f}"
                                                                    for n in names)
              + f" | {sum(o.cpu.values()):.1f} of {o.idle_s * (os.cpu_count() or 1):.0f} |")
    print_targets(outcomes)
    print("\nThe operator's controllers over the same span:")
    for o in outcomes:
        print(f"\n{o.scenario.label}:")
        for line in o.controllers:
            print(f"  {line}")
        if o.status_writes:
            per_site = ", ".join(f"{kind} {n / o.scenario.sites:.2f}" for kind, n in sorted(o.status_writes.items()))
            print(f"  status writes per Site: {sum(o.status_writes.values()) / o.scenario.sites:.2f} ({per_site})")
    print("\nkube-controller-manager over the same span (bench/controller_manager.py):")
    for o in outcomes:
        print(f"\n{o.scenario.label}:")
        for line in o.controller_manager:
            print(f"  {line}")


def print_targets(outcomes: list[Outcome]) -> None:
    """Issue 22's targets, against the Go operator's figures of the issue (25 user Sites in one namespace)."""
    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    print(f"\nTargets (issue 22; the Go operator's figures from the issue: {GO_OPERATOR}):")
    for o in outcomes:
        scenario = o.scenario
        if scenario.shape == "user" and scenario.sites == 25 and scenario.layout == "one":
            print(f"- {scenario.label}: all workloads created {o.created_s:.1f} s = "
                  f"{o.created_s / GO_OPERATOR['created_s']:.2f}x the Go operator's {GO_OPERATOR['created_s']} s "
                  f"(target <= 0.5x, 22 s): {verdict(o.created_s <= 22)}; {o.requests_per_site:.1f} requests per "
                  f"Site (target <= 80): {verdict(o.requests_per_site <= 80)}; {o.restart_writes} restart writes "
                  f"(target 0): {verdict(o.restart_writes == 0)}; peak RSS {o.peak_rss_mb:.0f} MB (target <= 126): "
                  f"{verdict(o.peak_rss_mb <= 126)}")
        if scenario.sites == 100 and scenario.layout == "each":
            print(f"- {scenario.label}: all available {o.available_s:.1f} s (target < 60 s): "
                  f"{verdict(o.available_s < 60)}")


def main(scenarios: str, operator_args: list[str], *, delete: bool = True) -> int:
    log_dir = Path(os.environ.get("TEAMOP_E2E_LOG_DIR", "/tmp/teamop-scale"))
    log_dir.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with PostgresServer() as server:
        for index, text in enumerate(s for s in scenarios.split(",") if s):
            scenario = Scenario.parse(text)
            print(f"{scenario.label} ...", flush=True)
            try:
                outcome = run_scenario(scenario, index, server, operator_args, log_dir, delete=delete)
            except Exception as error:  # an unattended run reports the other scenarios all the same
                print(f"  failed: {type(error).__name__}: {error}", flush=True)
                outcome = Outcome(scenario, controllers=[f"failed: {type(error).__name__}: {error}"])
            print(f"  created {outcome.created_s:.1f} s, available {outcome.available_s:.1f} s, Ready "
                  f"{outcome.ready_s:.1f} s, {outcome.requests_per_site:.1f} requests/Site, restart writes "
                  f"{outcome.restart_writes}, peak RSS {outcome.peak_rss_mb:.0f} MB, delete {outcome.delete_s:.1f} s",
                  flush=True)
            outcomes.append(outcome)
    print_table(outcomes)
    return 0


if __name__ == "__main__":
    sys.exit(main(DEFAULT_SCENARIOS, []))
