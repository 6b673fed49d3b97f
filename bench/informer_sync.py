"""Informer initial sync: seconds and resident memory per cached object, for 1,000 and 5,000 ConfigMaps.

    python bench/informer_sync.py                      # starts its own control plane
    python bench/informer_sync.py --kubeconfig PATH    # or uses a running one
    python bench/informer_sync.py --counts 1000 5000 20000

Each measurement runs in a fresh Python process (so that memory belongs to the informer alone): import, connect,
note the resident set size, sync one informer over the namespace, collect garbage, note it again. For comparison
it also times a list through kubernetes-asyncio's typed API (model objects), which the client avoids.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CONFIGMAP_DATA = {
    "app.conf": "[server]\nAddress = https://connect.example.com\n" * 4,
    "mode": "production",
    "replicas": "2",
}
LABELS = {"app.kubernetes.io/managed-by": "team-operator", "app.kubernetes.io/name": "connect",
          "posit.team/site": "bench"}


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def populate(kubeconfig: str, namespace: str, count: int) -> None:
    from teamop.runtime.client import Client
    from teamop.runtime.errors import AlreadyExists
    from teamop.runtime.kinds import GVK

    client = await Client.from_kubeconfig(kubeconfig)
    try:
        with contextlib.suppress(AlreadyExists):
            await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        existing, _ = await client.list(GVK("", "v1", "ConfigMap"), namespace)
        have = {o["metadata"]["name"] for o in existing}
        gate = asyncio.Semaphore(32)

        async def create(i: int) -> None:
            name = f"bench-{i:06d}"
            if name in have:
                return
            async with gate:
                await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"name": name, "namespace": namespace, "labels": LABELS},
                                     "data": CONFIGMAP_DATA})

        started = time.monotonic()
        await asyncio.gather(*(create(i) for i in range(count)))
        made = count - len(have & {f"bench-{i:06d}" for i in range(count)})
        if made:
            print(f"  created {made} ConfigMaps in {time.monotonic() - started:.1f} s", file=sys.stderr)
    finally:
        await client.close()


async def measure(kubeconfig: str, namespace: str, typed: bool) -> dict[str, Any]:
    from teamop.runtime.client import Client
    from teamop.runtime.informer import Informer
    from teamop.runtime.kinds import GVK

    client = await Client.from_kubeconfig(kubeconfig)
    try:
        await client.list(GVK("", "v1", "Namespace"), label_selector="nothing=here")  # warm the connection
        gc.collect()
        before = rss_bytes()
        informer = Informer(client, GVK("", "v1", "ConfigMap"), namespace=namespace)
        started = time.monotonic()
        informer.start()
        await informer.wait_for_sync()
        seconds = time.monotonic() - started
        gc.collect()
        after = rss_bytes()
        objects = len(informer.store)
        await informer.stop()
        result: dict[str, Any] = {"objects": objects, "seconds": seconds, "rss_delta": after - before,
                                  "rss_total": after}
    finally:
        await client.close()
    if typed:
        result["typed_list_seconds"] = await typed_list(kubeconfig, namespace)
    return result


async def typed_list(kubeconfig: str, namespace: str) -> float:
    """The same read through kubernetes-asyncio's generated API: every item becomes a V1ConfigMap model."""
    from kubernetes_asyncio import client, config

    api_client = await config.new_client_from_config(config_file=kubeconfig)
    try:
        api = client.CoreV1Api(api_client)
        started = time.monotonic()
        cont: str | None = None
        while True:
            if cont:
                page = await api.list_namespaced_config_map(namespace, limit=500, _continue=cont)
            else:
                page = await api.list_namespaced_config_map(namespace, limit=500)
            cont = page.metadata._continue
            if not cont:
                break
        return time.monotonic() - started
    finally:
        await api_client.close()


def run_child(kubeconfig: str, namespace: str, typed: bool) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", "--kubeconfig", kubeconfig, "--namespace", namespace]
    if typed:
        argv.append("--typed")
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubeconfig")
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--namespace", help=argparse.SUPPRESS)
    parser.add_argument("--typed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
        print(json.dumps(asyncio.run(measure(args.kubeconfig, args.namespace, args.typed))))
        return 0

    plane = None
    kubeconfig = args.kubeconfig
    if kubeconfig is None:
        from teamop.testing.controlplane import ControlPlane

        plane = ControlPlane().start()
        kubeconfig = str(plane.kubeconfig)
    try:
        print(f"informer initial sync of ConfigMaps (~{len(json.dumps(CONFIGMAP_DATA))} bytes of data each), "
              f"best of {args.repeat} fresh processes")
        print(f"{'objects':>8} {'sync s':>8} {'objects/s':>10} {'RSS/object':>11} {'RSS total':>10} "
              f"{'typed list s':>13}")
        for count in args.counts:
            namespace = f"bench-informer-{count}"
            asyncio.run(populate(kubeconfig, namespace, count))
            runs = [run_child(kubeconfig, namespace, typed=(i == 0)) for i in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            per_object = min(r["rss_delta"] for r in runs) / max(best["objects"], 1)
            print(f"{best['objects']:>8} {best['seconds']:>8.2f} {best['objects'] / best['seconds']:>10.0f} "
                  f"{per_object / 1024:>9.1f} K {best['rss_total'] / 2**20:>8.0f} M "
                  f"{runs[0]['typed_list_seconds']:>13.2f}")
    finally:
        if plane is not None:
            plane.stop(remove_workdir=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
