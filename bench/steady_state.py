"""Steady state: API requests per minute for 100 converged owners with 10 children each (target: zero writes).

    python bench/steady_state.py                      # starts its own control plane
    python bench/steady_state.py --kubeconfig PATH    # or uses a running one (the toy CRD is installed)
    python bench/steady_state.py --owners 100 --minutes 1 --resync 10

Each owner is a toy (`Toy`, tests/runtime/toy-crd.yaml) with 10 children: a ConfigMap, a Service, a Secret and 7
more ConfigMaps. The figures, all from the engine's own request counter:
- convergence: seconds until every owner is Synced, requests and writes per owner (the floor is 11 writes: one
  create per child and one status write);
- steady: requests and writes per minute while nothing changes, with a forced resync (every owner reconciled)
  every `--resync` seconds;
- restart: requests and writes of a fresh manager converging on the same, already converged, objects.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from teamop.runtime.client import Client
from teamop.runtime.manager import Manager
from teamop.runtime.requestcount import RequestSnapshot
from teamop.testing.toy import TOY, Engine, toy, toy_controller

CRD = Path(__file__).resolve().parents[1] / "tests" / "runtime" / "toy-crd.yaml"


async def start_engine(kubeconfig: str, namespace: str, workers: int) -> Engine:
    client = await Client.from_kubeconfig(kubeconfig)
    manager = Manager(client, namespaces=namespace, health_addr=None, metrics_addr=None)
    controller, reconciler = toy_controller(manager, workers=workers)
    task = asyncio.get_running_loop().create_task(manager.run())
    return Engine(client, manager, controller, reconciler, task)


async def wait_synced(engine: Engine, namespace: str, owners: int) -> None:
    while True:
        cache = engine.manager.cache
        objects = cache.list(TOY, namespace) if cache.informers() and cache.has_synced else []
        synced = sum(1 for o in objects if (o.get("status") or {}).get("phase") == "Synced")
        if len(objects) == owners and synced == owners:
            await engine.idle(settle=1.0)
            return
        await asyncio.sleep(0.1)


def describe(label: str, made: RequestSnapshot, per: float, unit: str) -> str:
    verbs = ", ".join(
        f"{verb} {resource}: {count}" for (verb, resource), count in sorted(made.by_verb_resource.items()) if count
    )
    return f"{label:<34} {made.total() / per:>9.1f} {made.writes() / per:>9.1f}  per {unit}   [{verbs or 'none'}]"


async def run(kubeconfig: str, owners: int, minutes: float, resync: float, workers: int) -> None:
    namespace = f"bench-steady-{int(time.time())}"
    engine = await start_engine(kubeconfig, namespace, workers)
    try:
        await engine.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        while not engine.manager.cache.has_synced:  # noqa: ASYNC110  (a property to poll, not an event)
            await asyncio.sleep(0.05)
        before = engine.client.requests.snapshot()
        started = time.monotonic()
        gate = asyncio.Semaphore(16)

        async def create(index: int) -> None:
            async with gate:
                await engine.client.create(toy(f"owner-{index:03d}", namespace, withSecret=True, extraConfigMaps=7))

        await asyncio.gather(*(create(i) for i in range(owners)))
        await wait_synced(engine, namespace, owners)
        converged = time.monotonic() - started
        made = engine.client.requests.snapshot() - before
        made = made - RequestSnapshot({("POST", "201"): owners}, {("create", "toys"): owners})
        print(f"{owners} owners x 10 children, {workers} workers")
        print(f"{'':<34} {'requests':>9} {'writes':>9}")
        print(describe(f"convergence ({converged:.1f} s)", made, owners, "owner"))

        await asyncio.sleep(2)
        await engine.idle(settle=1.0)
        before = engine.client.requests.snapshot()
        reconciles_before = sum(engine.reconciler.reconciles.values())
        window = minutes * 60
        deadline = time.monotonic() + window
        while time.monotonic() < deadline:
            await asyncio.sleep(min(resync, max(deadline - time.monotonic(), 0)))
            if time.monotonic() < deadline:
                engine.controller.enqueue_all()
        await engine.idle(settle=0.5)
        made = engine.client.requests.snapshot() - before
        reconciled = sum(engine.reconciler.reconciles.values()) - reconciles_before
        print(describe(f"steady ({reconciled} reconciles)", made, minutes, "minute"))
    finally:
        await engine.stop()
        await engine.client.close()

    restarted = await start_engine(kubeconfig, namespace, workers)
    try:
        await wait_synced(restarted, namespace, owners)
        made = restarted.client.requests.snapshot()
        print(describe("restart (fresh manager)", made, 1, "restart"))
    finally:
        await restarted.stop()
        await restarted.client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubeconfig")
    parser.add_argument("--owners", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--resync", type=float, default=10.0, help="seconds between forced resyncs")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    plane = None
    kubeconfig = args.kubeconfig
    if kubeconfig is None:
        from teamop.testing.controlplane import ControlPlane

        plane = ControlPlane().start()
        kubeconfig = str(plane.kubeconfig)
    try:
        if plane is not None or args.kubeconfig:
            import subprocess

            kubectl = str(plane.bin_dir / "kubectl") if plane else "kubectl"
            subprocess.run([kubectl, f"--kubeconfig={kubeconfig}", "apply", "--server-side", "-f", str(CRD)],
                           check=True, capture_output=True)
            subprocess.run([kubectl, f"--kubeconfig={kubeconfig}", "wait", "--for=condition=Established",
                            "--timeout=60s", "crd/toys.runtime.teamop.dev"], check=True, capture_output=True)
        asyncio.run(run(kubeconfig, args.owners, args.minutes, args.resync, args.workers))
    finally:
        if plane is not None:
            plane.stop(remove_workdir=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
