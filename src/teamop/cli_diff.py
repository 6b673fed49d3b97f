"""`teamop diff [-n NS] SITE | --all`: what teamop would change on the live cluster — objects it would create,
change, adopt and delete — found by running its own controllers with server-side dry runs. Nothing is written.

Exit code 0 when nothing would change, 1 otherwise, 2 when the command is misused or the cluster cannot be read.
Secret values are never printed: `<generated>` for keys teamop generates, `<redacted>` for any other.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from teamop.cli_status import default_namespace
from teamop.controllers.kinds import SITE
from teamop.controllers.registry import OperatorSettings
from teamop.diff.dryrun import DiffClient, DiffManager
from teamop.diff.report import Redactor, SiteDiff, format_site_diff
from teamop.operator import add_setting, field_managers_of, setting
from teamop.runtime.client import Client
from teamop.runtime.errors import ApiError, NoKindMatch, NotFound
from teamop.runtime.kubeconfig import ConfigException
from teamop.runtime.logging import configure_logging

EXIT_NO_CHANGES, EXIT_CHANGES, EXIT_USAGE = 0, 1, 2
RUN_SETTINGS = ("--operator-image", "--take-over-field-managers")


class UsageError(Exception):
    """The command cannot run as asked (a Site that does not exist, CRDs not installed)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", nargs="?", help="the Site to compare with the cluster")
    parser.add_argument("--all", action="store_true", help="every Site in the namespace")
    parser.add_argument("-n", "--namespace",
                        help="the namespace (default: the kubeconfig context's, else 'default')")
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"),
                        help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster config)")
    for flag in RUN_SETTINGS:  # as given to `teamop run`: they change what it applies
        add_setting(parser, setting(flag))


def diff_command(args: argparse.Namespace) -> int:
    if bool(args.site) == bool(args.all):
        print("error: name one Site, or --all for every Site in the namespace", file=sys.stderr)
        return EXIT_USAGE
    configure_logging("console", "warning")  # the diff alone on standard output
    namespace = args.namespace or default_namespace(args.kubeconfig)
    try:
        diffs, redactor = asyncio.run(_diff(args, namespace))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigException as error:
        print(f"error: cannot load the kubeconfig: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (ApiError, OSError, TimeoutError) as error:
        print(f"error: cannot read the cluster: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not diffs:
        print(f"no Sites in namespace {namespace!r}")
        return EXIT_NO_CHANGES
    for diff in diffs:
        for note in diff.warnings:
            print(redactor.scrub(f"note: {note}"), file=sys.stderr)
    print("\n\n".join(format_site_diff(diff, redactor) for diff in diffs))
    return EXIT_CHANGES if any(diff.changed for diff in diffs) else EXIT_NO_CHANGES


async def _diff(args: argparse.Namespace, namespace: str) -> tuple[list[SiteDiff], Redactor]:
    client = await DiffClient.auto(args.kubeconfig)
    assert isinstance(client, DiffClient)
    async with client:
        names = await _site_names(client, namespace, args.site)
        if not names:
            return [], Redactor()
        manager = DiffManager(client, namespace, settings=OperatorSettings(operator_image=args.operator_image),
                              take_over_field_managers=field_managers_of(args.take_over_field_managers))
        try:
            await manager.sync()
            diffs = [await manager.diff_site(name) for name in names]
            return diffs, Redactor(manager.secret_values())
        finally:
            await manager.close()


async def _site_names(client: Client, namespace: str, name: str | None) -> list[str]:
    try:
        if name:
            await client.get(SITE, name, namespace)
            return [name]
        sites, _ = await client.list(SITE, namespace)
    except NoKindMatch as error:
        raise UsageError(f"the cluster does not serve {error}: are teamop's CRDs installed?") from None
    except NotFound:
        raise UsageError(f"Site {name!r} not found in namespace {namespace!r}") from None
    return sorted(site["metadata"]["name"] for site in sites)
