"""The pydantic models read what the Go operator wrote, write it back unchanged, and name what they reject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from reference_objects import FIELDS_THE_REFERENCE_CRDS_LACK, RENDERED, SAMPLES, ids, sample, without_fields
from schema_paths import crd_schema, reference_crd, show, unknown_fields

from teamop.api.v1beta1 import KINDS_BY_NAME, Site, SiteConnect, SiteSpec, Workbench


def model_for(manifest: dict[str, Any]) -> type[Any]:
    return KINDS_BY_NAME[manifest["kind"]].model


@pytest.mark.parametrize("path", RENDERED, ids=ids(RENDERED))
def test_objects_the_go_operator_created_round_trip_unchanged(path: Path) -> None:
    manifest = sample(path)

    assert model_for(manifest).model_validate(manifest).to_dict() == manifest


@pytest.mark.parametrize("path", SAMPLES, ids=ids(SAMPLES))
def test_the_listed_fields_are_exactly_those_the_reference_crds_lack(path: Path) -> None:
    manifest = sample(path)
    reference = crd_schema(reference_crd(KINDS_BY_NAME[manifest["kind"]].plural))

    lacking = unknown_fields({"spec": manifest["spec"]}, reference)

    assert sorted(show(p) for p in lacking) == sorted(FIELDS_THE_REFERENCE_CRDS_LACK[path.name])


@pytest.mark.parametrize("path", SAMPLES, ids=ids(SAMPLES))
def test_samples_without_the_fields_the_reference_lacks_are_valid(path: Path) -> None:
    manifest = without_fields(sample(path), FIELDS_THE_REFERENCE_CRDS_LACK[path.name])

    assert model_for(manifest).model_validate(manifest).to_dict() == manifest


@pytest.mark.parametrize("path", [p for p in SAMPLES if FIELDS_THE_REFERENCE_CRDS_LACK[p.name]], ids=lambda p: p.name)
def test_samples_with_fields_the_reference_lacks_are_rejected_naming_each(path: Path) -> None:
    manifest = sample(path)

    with pytest.raises(ValidationError) as raised:
        model_for(manifest).model_validate(manifest)

    rejected = {
        ".".join(str(step) for step in error["loc"])
        for error in raised.value.errors()
        if error["type"] == "extra_forbidden"
    }
    assert rejected == set(FIELDS_THE_REFERENCE_CRDS_LACK[path.name])


def test_python_names_are_snake_case_and_json_names_the_reference_ones() -> None:
    site = Site(
        metadata={"name": "orbit"},
        spec=SiteSpec(domain="orbit.example.com", package_manager={"gitSSHKeys": []}, vpc_cidr="10.0.0.0/16"),
    )

    assert site.to_dict() == {
        "apiVersion": "core.posit.team/v1beta1",
        "kind": "Site",
        "metadata": {"name": "orbit"},
        "spec": {"domain": "orbit.example.com", "packageManager": {"gitSSHKeys": []}, "vpcCIDR": "10.0.0.0/16"},
    }


def test_reference_defaults_apply_when_a_field_is_absent() -> None:
    spec = SiteSpec.model_validate(
        {"domain": "orbit.example.com", "connect": {}, "workbench": {"experimentalFeatures": {}}}
    )

    assert spec.network_trust == 100
    assert spec.enable_fqdn_health_checks is True
    assert spec.connect is not None
    assert spec.connect.domain_prefix == "connect"
    assert spec.connect.schedule_concurrency == 2
    assert spec.workbench is not None
    assert spec.workbench.experimental_features is not None
    assert spec.workbench.experimental_features.cpu_request_ratio == "0.6"


def test_chronicle_section_can_be_disabled() -> None:
    spec = SiteSpec.model_validate({"domain": "orbit.example.com", "chronicle": {"enabled": False}})

    assert spec.chronicle is not None
    assert spec.chronicle.enabled is False


def test_kubernetes_core_objects_pass_through_unchanged() -> None:
    pod = {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}},
        "volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}],
        "extraContainers": [{"name": "sidecar", "image": "busybox", "futureField": {"x": 1}}],
        "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
    }
    manifest = {"apiVersion": "core.posit.team/v1beta1", "kind": "Workbench", "spec": {"sessionConfig": {"pod": pod}}}

    assert Workbench.model_validate(manifest).to_dict() == manifest


def invalid_site_error(spec: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as raised:
        SiteSpec.model_validate(spec)
    return str(raised.value)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({}, "domain"),
        ({"domain": "Not A Domain"}, "domain"),
        ({"domain": "a.example.com", "connect": {"replicas": -1}}, "connect.replicas"),
        (
            {"domain": "a.example.com", "workbench": {"experimentalFeatures": {"cpuRequestRatio": "1.5"}}},
            "cpuRequestRatio",
        ),
        ({"domain": "a.example.com", "connect": {"license": {"type": "BOGUS"}}}, "connect.license.type"),
        ({"domain": "a.example.com", "connect": {"domainPrefix": "my.connect"}}, "connect.domainPrefix"),
        ({"domain": "a.example.com", "workbench": {"domainPrefix": "Workbench"}}, "workbench.domainPrefix"),
        (
            {
                "domain": "a.example.com",
                "packageManager": {
                    "gitSSHKeys": [
                        {"name": "GitHub_Key", "host": "github.com", "secretRef": {"source": "kubernetes", "name": "k"}}
                    ]
                },
            },
            "packageManager.gitSSHKeys.0.name",
        ),
        (
            {"domain": "a.example.com", "connect": {}, "workbench": {"domainPrefix": "connect"}},
            "workbench.domainPrefix",
        ),
    ],
    ids=[
        "no-domain",
        "domain-not-dns",
        "negative-replicas",
        "cpu-ratio-above-one",
        "unknown-license-type",
        "domain-prefix-with-dot",
        "domain-prefix-upper-case",
        "ssh-key-name-not-dns-label",
        "two-products-one-host",
    ],
)
def test_invalid_site_is_rejected_naming_the_field(spec: dict[str, Any], field: str) -> None:
    assert field in invalid_site_error(spec)


def test_site_connect_section_by_python_name() -> None:
    connect = SiteConnect(domain_prefix="rsc", replicas=2)

    assert connect.to_dict() == {"domainPrefix": "rsc", "replicas": 2}
