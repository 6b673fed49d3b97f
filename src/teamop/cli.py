"""The `teamop` command. Each subcommand is one function taking the parsed arguments and returning the exit code;
`main` only builds the parser and dispatches."""

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


def _add_crds(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser("crds", help="write the CRDs (core.posit.team_<plural>.yaml) into a directory")
    parser.add_argument("--out", default="config/crd/bases", help="directory to write into (default: %(default)s)")
    parser.set_defaults(command=crds)


def flightdeck_serve(args: argparse.Namespace) -> int:
    """Serve a Site's landing page (the Flightdeck container contract)."""
    from teamop.flightdeck.server import serve_command

    return serve_command(args)


def _add_flightdeck(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from teamop.flightdeck.settings import DESCRIPTION, add_arguments

    parser = subcommands.add_parser("flightdeck", help="the Flightdeck landing-page server")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve a Site's landing page on :8080", description=DESCRIPTION)
    add_arguments(serve)
    serve.set_defaults(command=flightdeck_serve)


def run(args: argparse.Namespace) -> int:
    """Run the operator until SIGTERM."""
    from teamop.operator import run_command

    return run_command(args)


def _add_run(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from teamop.operator import add_arguments

    parser = subcommands.add_parser("run", help="run the operator (in a cluster, or locally with --kubeconfig)")
    add_arguments(parser)
    parser.set_defaults(command=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teamop", description="A Kubernetes operator for Posit Team.")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_run(subcommands)
    _add_crds(subcommands)
    _add_flightdeck(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv and os.environ.get("SITE_NAME"):
        # The Flightdeck container contract: the reference's Deployment runs the image with no arguments.
        argv = ["flightdeck", "serve"]
    args = build_parser().parse_args(argv)
    command: Command = args.command
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
