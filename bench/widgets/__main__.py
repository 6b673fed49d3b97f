"""`python -m bench.widgets`: run the widget controller until SIGTERM/SIGINT (see `bench/widgets/__init__.py`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bench.widgets import MANAGED_BY, setup
from teamop.runtime.client import Client
from teamop.runtime.logging import configure_logging
from teamop.runtime.manager import LeadershipLost, Manager


async def run(kubeconfig: str | None, namespace: str | None, workers: int, max_parallel_applies: int) -> None:
    async with await Client.from_kubeconfig(kubeconfig) as client:
        manager = Manager(
            client, namespaces=namespace, health_addr=None, metrics_addr=None, grace_period=10,
            managed_by=MANAGED_BY, max_parallel_applies=max_parallel_applies,
        )
        setup(manager, workers=workers)
        manager.install_signal_handlers()
        with contextlib.suppress(LeadershipLost):
            await manager.run()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.widgets", description=__doc__)
    parser.add_argument("--kubeconfig", help="default: $KUBECONFIG, then ~/.kube/config")
    parser.add_argument("--namespace", help="watch only this namespace (default: all)")
    parser.add_argument("--workers", type=int, default=1, help="max concurrent reconciles (default 1, as the anchors)")
    parser.add_argument("--max-parallel-applies", type=int, default=8,
                        help="children of one Widget written at once (default 8, as `teamop run`; 1: in turn)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    configure_logging("console", args.log_level)
    asyncio.run(run(args.kubeconfig, args.namespace, args.workers, args.max_parallel_applies))


if __name__ == "__main__":
    main()
