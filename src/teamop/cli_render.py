"""`teamop render SITE.yaml`: check a Site manifest as the API server would and show, as YAML in apply order,
every object the operator would create for it — with no cluster. Secret values are never shown."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from teamop.api.v1beta1 import GROUP, Site
from teamop.api.validation import check_manifest
from teamop.controllers.preview import DEFAULT_DATABASE, PlannedObject, plan_site
from teamop.controllers.registry import DEFAULT_OPERATOR_IMAGE
from teamop.db.server import InvalidDatabaseURL, parse_admin_url
from teamop.products.site import DatabaseServer

EXIT_INVALID = 2
EXIT_CONTROLLER_FAILS = 1
DEFAULT_DATABASE_URL = f"postgres://{DEFAULT_DATABASE.host}:{DEFAULT_DATABASE.port}/postgres"
DEFAULT_NAMESPACE = "default"
_WRITTEN_FILE = re.compile(r"^\d{3,}-.+\.yaml$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", help="YAML file holding the Site (several documents are fine; '-' reads stdin)")
    parser.add_argument("--out", metavar="DIR",
                        help="write one file per object into DIR, numbered in apply order, instead of printing")
    parser.add_argument("-n", "--namespace",
                        help=f"the Site's namespace (default: its metadata.namespace, else {DEFAULT_NAMESPACE!r})")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="the admin URL the workload Secret would hold; only host, port and sslmode are used "
                             "(default: %(default)s)")
    parser.add_argument("--operator-image", default=DEFAULT_OPERATOR_IMAGE,
                        help="the operator's image, run by Flightdeck without spec.flightdeck.image "
                             "(default: %(default)s)")


@dataclass(frozen=True)
class Loaded:
    sites: list[tuple[Site, str]]  # (Site, namespace)
    errors: list[str]
    notes: list[str]


def render_command(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.manifest == "-" else Path(args.manifest).read_text()
    except OSError as error:
        print(f"error: cannot read {args.manifest}: {error.strerror or error}", file=sys.stderr)
        return EXIT_INVALID
    try:
        database = database_server(args.database_url)
    except InvalidDatabaseURL as error:
        print(f"error: --database-url: {error}", file=sys.stderr)
        return EXIT_INVALID
    loaded = load_sites(text, args.manifest, args.namespace)
    for note in loaded.notes:
        print(f"note: {note}", file=sys.stderr)
    if loaded.errors:
        for line in loaded.errors:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    objects: list[PlannedObject] = []
    errors: list[str] = []
    for site, namespace in loaded.sites:
        plan = plan_site(site, namespace, database=database, operator_image=args.operator_image)
        objects += plan.objects
        errors += plan.errors
        for note in plan.notes:
            print(f"note: {note}", file=sys.stderr)
    if args.out:
        paths = write_objects(objects, Path(args.out))
        print(f"wrote {len(paths)} objects to {args.out}", file=sys.stderr)
    else:
        print_objects(objects, sys.stdout)
    for failure in errors:
        print(f"error: {failure}", file=sys.stderr)
    return EXIT_CONTROLLER_FAILS if errors else 0


def database_server(url: str) -> DatabaseServer:
    """The server an admin URL names; its credentials are dropped here and never reach the output."""
    login = parse_admin_url(url, username="teamop", password="")
    return DatabaseServer(login.host, login.port, login.sslmode)


def load_sites(text: str, source: str, namespace: str | None) -> Loaded:
    """The Sites of a YAML stream, each checked as the API server would (every error, named by its JSON path);
    documents that are not teamop's kinds are skipped with a note."""
    sites: list[tuple[Site, str]] = []
    errors: list[str] = []
    notes: list[str] = []
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        return Loaded([], [f"error: {source}: not valid YAML: {error}"], [])
    for number, document in enumerate(documents, start=1):
        where = f"{source}, document {number}" if len(documents) > 1 else source
        if isinstance(document, dict) and not _is_teamop(document):
            notes.append(f"{where}: skipped {document.get('kind')} {_name(document)!r}: teamop renders Sites")
            continue
        model, problems = check_manifest(document, Site if _kind(document) == "Site" else None)
        if problems:
            errors.append(f"error: {where}: {_kind(document) or 'object'} {_name(document)!r} is invalid "
                          f"({len(problems)} error{'s' if len(problems) > 1 else ''}):")
            errors += [f"  {problem}" for problem in problems]
        elif isinstance(model, Site):
            sites.append((model, namespace or model.metadata.namespace or DEFAULT_NAMESPACE))
        else:
            notes.append(f"{where}: skipped {_kind(document)} {_name(document)!r}: teamop renders Sites")
    if not sites and not errors:
        errors.append(f"error: {source}: no Site to render")
    return Loaded(sites, errors, notes)


def _is_teamop(document: dict[str, Any]) -> bool:
    return document.get("kind") == "Site" or str(document.get("apiVersion", "")).startswith(f"{GROUP}/")


def _kind(document: Any) -> str:
    return str(document.get("kind") or "") if isinstance(document, dict) else ""


def _name(document: Any) -> str:
    metadata = document.get("metadata") if isinstance(document, dict) else None
    return str(metadata.get("name") or "") if isinstance(metadata, dict) else ""


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (configuration files) as literal blocks, so they read and diff well."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_str)


def object_yaml(body: dict[str, Any]) -> str:
    return yaml.dump(body, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)


def _header(number: int, planned: PlannedObject) -> str:
    metadata = planned.body["metadata"]
    return f"# {number}. {planned.body['kind']} {metadata['name']} (owner: {planned.owner})\n"


def print_objects(objects: list[PlannedObject], out: TextIO) -> None:
    for number, planned in enumerate(objects, start=1):
        out.write("---\n" + _header(number, planned) + object_yaml(planned.body))


def file_name(number: int, planned: PlannedObject) -> str:
    return f"{number:03d}-{planned.body['kind']}-{planned.body['metadata']['name']}.yaml"


def write_objects(objects: list[PlannedObject], directory: Path) -> list[Path]:
    """One file per object, `NNN-<Kind>-<name>.yaml`; files of an earlier render in `directory` are removed."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.iterdir():
        if stale.is_file() and _WRITTEN_FILE.match(stale.name):
            stale.unlink()
    paths = []
    for number, planned in enumerate(objects, start=1):
        path = directory / file_name(number, planned)
        path.write_text(_header(number, planned) + object_yaml(planned.body))
        paths.append(path)
    return paths
