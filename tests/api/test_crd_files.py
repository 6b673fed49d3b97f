"""The committed CRDs are the ones the models generate, and they are what Kubernetes needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from schema_paths import crd_schema, field_paths, show

from teamop.api.crdgen import crd_for, rendered_crd_files
from teamop.api.v1beta1 import KINDS, Kind
from teamop.cli import main

COMMITTED_DIR = Path(__file__).resolve().parents[2] / "config" / "crd" / "bases"
KIND_IDS = [kind.kind for kind in KINDS]
STRUCTURAL_TYPES = {"object", "array", "string", "integer", "number", "boolean"}


def test_committed_crd_files_are_what_the_models_generate() -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in COMMITTED_DIR.glob("*.yaml")}
    generated = rendered_crd_files()

    stale = sorted(name for name in committed.keys() | generated.keys() if committed.get(name) != generated.get(name))
    assert stale == [], "run `teamop crds` and commit config/crd/bases"


def test_crds_command_writes_one_file_per_kind_into_the_given_directory(tmp_path: Path) -> None:
    assert main(["crds", "--out", str(tmp_path)]) == 0

    written = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.iterdir()}
    assert written == rendered_crd_files()
    assert sorted(written) == sorted(f"core.posit.team_{kind.plural}.yaml" for kind in KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_schema_is_structural(kind: Kind) -> None:
    """Every node has a type (or keeps unknown fields), nothing refers elsewhere, nothing is a union."""
    problems = []
    for path, node in field_paths(crd_schema(crd_for(kind))):
        forbidden = {"$ref", "anyOf", "allOf", "oneOf", "title", "$defs"} & node.keys()
        if forbidden:
            problems.append(f"{show(path)}: {sorted(forbidden)}")
        if node.get("type") not in STRUCTURAL_TYPES and not node.get("x-kubernetes-preserve-unknown-fields"):
            problems.append(f"{show(path)}: no type")
        if "properties" in node and "additionalProperties" in node:
            problems.append(f"{show(path)}: properties and additionalProperties")
    assert problems == []


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_crd_has_a_status_subresource(kind: Kind) -> None:
    (version,) = crd_for(kind)["spec"]["versions"]

    assert version["subresources"] == {"status": {}}
    assert version["served"]
    assert version["storage"]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_kubectl_get_shows_ready_and_age(kind: Kind) -> None:
    columns = _columns(crd_for(kind))

    assert columns["Ready"] == '.status.conditions[?(@.type=="Ready")].status'
    assert columns["Age"] == ".metadata.creationTimestamp"


@pytest.mark.parametrize(
    ("kind_name", "column", "json_path"),
    [
        ("Site", "Domain", ".spec.domain"),
        ("Connect", "URL", ".status.url"),
        ("Workbench", "URL", ".status.url"),
        ("PackageManager", "URL", ".status.url"),
        ("Flightdeck", "URL", ".status.url"),
        ("PostgresDatabase", "Database", ".status.database"),
    ],
)
def test_kubectl_get_shows_where_to_find_the_object(kind_name: str, column: str, json_path: str) -> None:
    kind = next(kind for kind in KINDS if kind.kind == kind_name)

    assert _columns(crd_for(kind))[column] == json_path


def test_descriptions_explain_the_site_fields() -> None:
    """`kubectl explain site.spec.connect` shows what the section is for."""
    spec = crd_schema(crd_for(KINDS[0]))["properties"]["spec"]

    assert "Connect" in spec["properties"]["connect"]["description"]
    assert "domain" in spec["properties"]["domain"]["description"].lower()
    assert spec["properties"]["connect"]["properties"]["domainPrefix"]["description"]


def test_crd_files_parse_as_single_yaml_documents() -> None:
    for text in rendered_crd_files().values():
        documents: list[Any] = list(yaml.safe_load_all(text))
        assert len(documents) == 1
        assert documents[0]["kind"] == "CustomResourceDefinition"


def _columns(crd: dict[str, Any]) -> dict[str, str]:
    return {column["name"]: column["jsonPath"] for column in crd["spec"]["versions"][0]["additionalPrinterColumns"]}


def test_every_site_spec_field_has_a_description() -> None:
    """`kubectl explain site.spec…` has something to say about every field a user writes."""
    site = next(kind for kind in KINDS if kind.kind == "Site")
    undescribed = [
        show(path)
        for path, node in field_paths(crd_schema(crd_for(site)))
        if path[0] == "spec" and path[-1] not in ("[]", "{}") and not node.get("description")
    ]

    assert undescribed == []
