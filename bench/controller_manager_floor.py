"""How fast can kube-controller-manager alone bring a scale run's workloads up? (issue 22)

No operator: the workloads 100 user-shaped Sites end with (per namespace: 4 Deployments, 1 StatefulSet and
1 DaemonSet of one pod each, a Service for each) are applied at once, as if an operator had created them all in
no time; then timed until every Deployment and StatefulSet is available. What is left is the controller manager's
pace (its clients: `--kube-api-qps` 20, burst 30 each), the scheduler's and kwok's: the floor under "all workloads
available" that no operator can beat on this control plane.

    python -m bench.controller_manager_floor [--namespaces 100] [--kube-api-qps 200]

`--kube-api-qps` restarts the controller manager with that limit (burst twice it) for a comparison; the fixture
keeps the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import controller_manager
from bench.workload_watch import WorkloadWatch
from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import eventually

DEPLOYMENTS = ("connect", "workbench", "package-manager", "flightdeck")
PARALLEL_APPLIES = 10


def _pod_template(app: str) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": app, "image": "registry.example.test/app:1"}]}}


def namespace_objects(namespace: str) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
    workloads: list[tuple[str, str]] = [("Deployment", name) for name in DEPLOYMENTS]
    workloads += [("StatefulSet", "chronicle"), ("DaemonSet", "agent")]
    for kind, name in workloads:
        spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}},
                                "template": _pod_template(name)}
        if kind != "DaemonSet":
            spec["replicas"] = 1
        if kind == "StatefulSet":
            spec["serviceName"] = name
        objects.append({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace},
                        "spec": spec})
        objects.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
                        "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}})
    return objects


def restart_with_qps(plane: ControlPlane, qps: int) -> None:
    server = plane.servers["kube-controller-manager"]
    server.stop()
    server.argv += [f"--kube-api-qps={qps}", f"--kube-api-burst={2 * qps}"]
    server.start()
    plane.pid_file.record(list(plane.servers.values()))
    eventually(plane.controller_manager_metrics, timeout=60, what="kube-controller-manager's /metrics after restart")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--kube-api-qps", type=int, default=0, help="restart the controller manager with this limit")
    args = parser.parse_args()
    namespaces = [f"floor-{i}" for i in range(args.namespaces)]
    expected = 5 * args.namespaces  # Deployments and StatefulSets (DaemonSets are not watched)

    with ControlPlane() as plane:
        if args.kube_api_qps:
            restart_with_qps(plane, args.kube_api_qps)
        watch = WorkloadWatch(plane.bin_dir / "kubectl", plane.kubeconfig).start()
        try:
            before = controller_manager.Snapshot.take(plane)
            rate = controller_manager.RequestRate(plane).start()
            started = time.monotonic()

            def apply(batch: list[str]) -> None:
                items = [o for ns in batch for o in namespace_objects(ns)]
                plane.kubectl("apply", "--server-side", "-f", "-", timeout=600,
                              input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))

            batches = [namespaces[i::PARALLEL_APPLIES] for i in range(PARALLEL_APPLIES)]
            with ThreadPoolExecutor(PARALLEL_APPLIES) as pool:
                list(pool.map(apply, [b for b in batches if b]))
            applied = time.monotonic() - started
            eventually(lambda: watch.counts()[0] >= expected, timeout=600, interval=0.5, what="every workload")
            created = watch.last(available=False) - started
            eventually(lambda: watch.counts()[1] >= expected, timeout=1200, interval=0.5, what="all available")
            available = watch.last(available=True) - started
            after = controller_manager.Snapshot.take(plane)
            rate.stop()
            qps = args.kube_api_qps or controller_manager.QPS
            burst = 2 * args.kube_api_qps if args.kube_api_qps else controller_manager.BURST
            lines = controller_manager.summary(before, after, controller_manager.ObjectCounts.count(plane), rate,
                                               started, available, qps=qps, burst=burst)
        finally:
            watch.stop()
    print(f"\nkube-controller-manager alone, {args.namespaces} namespaces — "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f} at the end, "
          f"--kube-api-qps {args.kube_api_qps or 'default (20)'}")
    print(f"applied in {applied:.1f} s; every workload exists at {created:.1f} s; all available at {available:.1f} s "
          f"({available - created:.1f} s after the last was created)")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
