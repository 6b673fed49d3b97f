"""The `teamop` command. Each subcommand is one function taking the parsed arguments and returning the exit code;
`main` only builds the parser and dispatches.

A command's module is imported only when that command runs or its arguments are added to the parser, and `main`
adds only the arguments of the command it runs: `teamop run` does not hold render, status, diff, dev or Flightdeck
in memory."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Command = Callable[[argparse.Namespace], int]


def crds(args: argparse.Namespace) -> int:
    """Write the CustomResourceDefinitions generated from teamop's models."""
    from teamop.api.crdgen import write_crds

    for path in write_crds(Path(args.out)):
        print(path)
    return 0


def _add_crds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="config/crd/bases", help="directory to write into (default: %(default)s)")
    parser.set_defaults(command=crds)


def manifests(args: argparse.Namespace) -> int:
    """Write the RBAC manifests generated from `teamop.rbac`, or with --chart the Helm chart's generated pieces."""
    from teamop.chartgen import write_chart_files
    from teamop.rbac import write_rbac

    for path in write_chart_files(Path(args.chart)) if args.chart else write_rbac(Path(args.out)):
        print(path)
    return 0


def _add_manifests(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="config/rbac", help="directory to write into (default: %(default)s)")
    parser.add_argument("--chart", metavar="DIR", help="instead, write the Helm chart's generated pieces (CRD "
                                                       "templates, RBAC rules) into the chart in DIR")
    parser.set_defaults(command=manifests)


def flightdeck_serve(args: argparse.Namespace) -> int:
    """Serve a Site's landing page (the Flightdeck container contract)."""
    from teamop.flightdeck.server import serve_command

    return serve_command(args)


def _add_flightdeck(parser: argparse.ArgumentParser) -> None:
    from teamop.flightdeck.settings import DESCRIPTION, add_arguments

    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve a Site's landing page on :8080", description=DESCRIPTION)
    add_arguments(serve)
    serve.set_defaults(command=flightdeck_serve)


def run(args: argparse.Namespace) -> int:
    """Run the operator until SIGTERM."""
    from teamop.operator import run_command

    return run_command(args)


def _add_run(parser: argparse.ArgumentParser) -> None:
    from teamop.operator import add_arguments

    add_arguments(parser)
    parser.set_defaults(command=run)


def dev_up(args: argparse.Namespace) -> int:
    """Run the operator's main job on a local control plane until Ctrl-C (or until Ready)."""
    from teamop.dev.up import up_command

    return up_command(args)


def dev_down(args: argparse.Namespace) -> int:
    """Stop everything `teamop dev up` started and remove its state."""
    from teamop.dev.down import down_command

    return down_command(args)


def _add_dev(parser: argparse.ArgumentParser) -> None:
    from teamop.dev.up import add_arguments

    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    up = actions.add_parser("up", help="start a control plane, PostgreSQL and the operator; apply a Site; wait "
                                       "until it is Ready")
    add_arguments(up)
    up.set_defaults(command=dev_up)
    down = actions.add_parser("down", help="stop everything `teamop dev up` started and remove its state")
    down.set_defaults(command=dev_down)


def render(args: argparse.Namespace) -> int:
    """Check a Site manifest and show every object the operator would create for it, with no cluster."""
    from teamop.cli_render import render_command

    return render_command(args)


def _add_render(parser: argparse.ArgumentParser) -> None:
    from teamop.cli_render import add_arguments

    add_arguments(parser)
    parser.set_defaults(command=render)


def status(args: argparse.Namespace) -> int:
    """Show Sites, their products, objects and conditions as a tree; exit 0 only when all are Ready."""
    from teamop.cli_status import status_command

    return status_command(args)


def _add_status(parser: argparse.ArgumentParser) -> None:
    from teamop.cli_status import add_arguments

    add_arguments(parser)
    parser.set_defaults(command=status)


def diff(args: argparse.Namespace) -> int:
    """Show what teamop would change on the live cluster (server-side dry runs); exit 0 only when nothing."""
    from teamop.cli_diff import diff_command

    return diff_command(args)


def _add_diff(parser: argparse.ArgumentParser) -> None:
    from teamop.cli_diff import add_arguments

    add_arguments(parser)
    parser.set_defaults(command=diff)


# Each command: its name, its one-line help and what adds its arguments (importing its module).
COMMANDS: tuple[tuple[str, str, Callable[[argparse.ArgumentParser], None]], ...] = (
    ("run", "run the operator (in a cluster, or locally with --kubeconfig)", _add_run),
    ("crds", "write the CRDs (core.posit.team_<plural>.yaml) into a directory", _add_crds),
    ("manifests", "write the RBAC manifests (role.yaml: ServiceAccount, roles, bindings) into a directory",
     _add_manifests),
    ("flightdeck", "the Flightdeck landing-page server", _add_flightdeck),
    ("render", "validate a Site manifest and print every object the operator would create (no cluster)",
     _add_render),
    ("status", "show Sites, their products and objects as a tree, with what is not ready and why", _add_status),
    ("diff", "show what teamop would create, change, adopt and delete for a Site on the live cluster, writing "
             "nothing", _add_diff),
    ("dev", "run teamop on a local control plane with PostgreSQL", _add_dev),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `teamop` parser. Every command is listed; with `command`, only that one's arguments are added."""
    parser = argparse.ArgumentParser(prog="teamop", description="A Kubernetes operator for Posit Team.")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, help_text, add_arguments in COMMANDS:
        command_parser = subcommands.add_parser(name, help=help_text)
        if command in (None, name):
            add_arguments(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv and os.environ.get("SITE_NAME"):
        # The Flightdeck container contract: the reference's Deployment runs the image with no arguments.
        argv = ["flightdeck", "serve"]
    # The command is the first argument: `teamop` itself takes no option but --help.
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    command: Command = args.command
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
