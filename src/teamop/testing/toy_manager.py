"""Run a manager with the toy controller in its own process (for leader-election tests that kill it):

    python -m teamop.testing.toy_manager --kubeconfig K --namespace NS --lease-name L --identity ID
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from teamop.runtime.client import Client
from teamop.runtime.logging import configure_logging
from teamop.runtime.manager import LeadershipLost, Manager
from teamop.testing.toy import toy_controller


async def main(args: argparse.Namespace) -> None:
    configure_logging("json", "info")
    async with await Client.from_kubeconfig(args.kubeconfig) as client:
        manager = Manager(
            client, namespaces=args.namespace, leader_election=True, lease_name=args.lease_name,
            lease_namespace=args.namespace, identity=args.identity, health_addr=args.health_addr, metrics_addr=None,
            grace_period=args.grace_period,
        )
        toy_controller(manager)
        manager.install_signal_handlers()
        with contextlib.suppress(LeadershipLost):
            await manager.run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--lease-name", required=True)
    parser.add_argument("--identity", required=True)
    parser.add_argument("--health-addr", default=None)
    parser.add_argument("--grace-period", type=float, default=30.0, help="seconds reconciles get to finish on stop")
    asyncio.run(main(parser.parse_args()))
