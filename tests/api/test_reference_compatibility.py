"""teamop's CRDs accept everything the Go operator's CRDs define, under the same names and types."""

from __future__ import annotations

import pytest
from schema_paths import (
    crd_schema,
    field_paths,
    incompatibilities,
    lookup,
    reference_crd,
    show,
)

from teamop.api.crdgen import crd_for
from teamop.api.v1beta1 import KINDS, Kind

KIND_IDS = [kind.kind for kind in KINDS]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_every_reference_field_exists_with_a_compatible_type(kind: Kind) -> None:
    reference = crd_schema(reference_crd(kind.plural))
    ours = crd_schema(crd_for(kind))

    assert incompatibilities(reference, ours) == []


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_names_and_scope_are_the_reference_ones(kind: Kind) -> None:
    reference = reference_crd(kind.plural)
    ours = crd_for(kind)

    assert ours["metadata"]["name"] == reference["metadata"]["name"]
    assert ours["spec"]["group"] == reference["spec"]["group"]
    assert ours["spec"]["names"] == reference["spec"]["names"]
    assert ours["spec"]["scope"] == reference["spec"]["scope"]
    assert [v["name"] for v in ours["spec"]["versions"]] == [v["name"] for v in reference["spec"]["versions"]]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_reference_defaults_are_kept(kind: Kind) -> None:
    reference = crd_schema(reference_crd(kind.plural))
    ours = crd_schema(crd_for(kind))

    differing = {}
    for path, node in field_paths(reference):
        found = lookup(ours, path)
        if "default" not in node or found.node is None or found.accepts_anything:
            continue
        if found.node.get("default") != node["default"]:
            differing[show(path)] = (node["default"], found.node.get("default"))
    assert differing == {}


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_reference_enums_patterns_and_bounds_are_kept(kind: Kind) -> None:
    reference = crd_schema(reference_crd(kind.plural))
    ours = crd_schema(crd_for(kind))

    differing = {}
    for path, node in field_paths(reference):
        found = lookup(ours, path)
        if found.node is None or found.accepts_anything:
            continue
        for keyword in ("enum", "pattern", "minimum", "maximum", "minLength", "maxLength"):
            if keyword in node and found.node.get(keyword) != node[keyword]:
                differing[f"{show(path)}:{keyword}"] = (node[keyword], found.node.get(keyword))
    assert differing == {}


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_spec_fields_required_by_teamop_are_required_by_the_reference_too(kind: Kind) -> None:
    """A manifest the Go operator accepted is not rejected for a missing field (status is teamop's to write)."""
    reference = crd_schema(reference_crd(kind.plural))
    ours = crd_schema(crd_for(kind))

    stricter = {}
    for path, node in field_paths(ours):
        found = lookup(reference, path)
        if path[0] != "spec" or found.node is None or found.accepts_anything:
            continue
        extra = set(node.get("required", [])) - set(found.node.get("required", []))
        if extra:
            stricter[show(path)] = sorted(extra)
    assert stricter == {}
