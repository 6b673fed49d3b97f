"""`teamop status [SITE] [-n NS]`: the Sites of a namespace, their products, the objects behind them and their
conditions, as a tree that says what is not ready and why. Exit code 0 when every Site shown is Ready, else 1.

Reads the cluster with plain GETs and LISTs (a handful per namespace, whatever the number of Sites)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from teamop.controllers.kinds import (
    CHRONICLE,
    CONNECT,
    DEPLOYMENT,
    FLIGHTDECK,
    PACKAGE_MANAGER,
    PERSISTENT_VOLUME_CLAIM,
    POSTGRES_DATABASE,
    SITE,
    STATEFUL_SET,
    WORKBENCH,
)
from teamop.runtime.client import Client
from teamop.runtime.errors import ApiError, NoKindMatch, NotFound
from teamop.runtime.kubeconfig import ConfigException
from teamop.runtime.logging import configure_logging
from teamop.status_tree import Objects, format_tree, owned_by_uid, resource_ready, site_tree

EXIT_READY, EXIT_NOT_READY = 0, 1
IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
PRODUCT_GVKS = (CONNECT, WORKBENCH, PACKAGE_MANAGER, CHRONICLE, FLIGHTDECK)
OWNED_GVKS = (DEPLOYMENT, STATEFUL_SET, PERSISTENT_VOLUME_CLAIM, POSTGRES_DATABASE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", nargs="?", help="the Site to show (default: every Site in the namespace)")
    parser.add_argument("-n", "--namespace",
                        help="the namespace (default: the kubeconfig context's, else 'default')")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show every condition (default: those that need attention)")
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"),
                        help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster config)")


def status_command(args: argparse.Namespace) -> int:
    configure_logging("console", "warning")  # the tree alone on standard output
    namespace = args.namespace or default_namespace(args.kubeconfig)
    try:
        trees, ready = asyncio.run(_status(args.kubeconfig, namespace, args.site, args.verbose))
    except NotFound:
        print(f"error: Site {args.site!r} not found in namespace {namespace!r}", file=sys.stderr)
        return EXIT_NOT_READY
    except NoKindMatch as error:
        print(f"error: the cluster does not serve {error}: are teamop's CRDs installed?", file=sys.stderr)
        return EXIT_NOT_READY
    except ConfigException as error:
        print(f"error: cannot load the kubeconfig: {error}", file=sys.stderr)
        return EXIT_NOT_READY
    except (ApiError, OSError) as error:
        print(f"error: cannot read the cluster: {error}", file=sys.stderr)
        return EXIT_NOT_READY
    if not trees:
        print(f"no Sites in namespace {namespace!r}")
        return EXIT_NOT_READY
    print("\n\n".join(trees))
    return EXIT_READY if ready else EXIT_NOT_READY


async def _status(kubeconfig: str | None, namespace: str, name: str | None,
                  verbose: bool) -> tuple[list[str], bool]:
    """The Sites' trees and whether every one of them is Ready."""
    async with await Client.auto(kubeconfig) as client:
        if name:
            sites = [await client.get(SITE, name, namespace)]
        else:
            sites, _ = await client.list(SITE, namespace)
        if not sites:
            return [], False
        objects = await read_namespace(client, namespace)
    sites.sort(key=lambda s: s["metadata"]["name"])
    trees = [format_tree(site_tree(site, objects, verbose=verbose)) for site in sites]
    return trees, all(resource_ready(s) for s in sites)


async def read_namespace(client: Client, namespace: str) -> Objects:
    """The product resources and the objects they (and the Sites) control, in one LIST per kind."""
    product_lists = await asyncio.gather(*(client.list(gvk, namespace) for gvk in PRODUCT_GVKS))
    owned_lists = await asyncio.gather(*(_list_or_empty(client, gvk, namespace) for gvk in OWNED_GVKS))
    products = {gvk.kind: {item["metadata"]["name"]: item for item in items}
                for gvk, (items, _) in zip(PRODUCT_GVKS, product_lists, strict=True)}
    return Objects(products=products, owned=owned_by_uid(item for items in owned_lists for item in items))


async def _list_or_empty(client: Client, gvk: Any, namespace: str) -> list[dict[str, Any]]:
    try:
        items, _ = await client.list(gvk, namespace)
    except NoKindMatch:
        return []
    return items


def default_namespace(kubeconfig: str | None) -> str:
    """The current context's namespace, as kubectl takes it; inside a pod, the pod's; else `default`."""
    if kubeconfig is None and not os.environ.get("KUBECONFIG") and os.environ.get("KUBERNETES_SERVICE_HOST"):
        try:
            return IN_CLUSTER_NAMESPACE.read_text().strip() or "default"
        except OSError:
            return "default"
    path = kubeconfig or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    try:
        config = yaml.safe_load(Path(path.split(os.pathsep)[0]).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return "default"
    current = config.get("current-context")
    for context in config.get("contexts") or []:
        if isinstance(context, dict) and context.get("name") == current:
            return str((context.get("context") or {}).get("namespace") or "default")
    return "default"
