"""On a real API server: teamop's CRDs install, accept the Go operator's manifests, and reject mistakes at
admission with a message that names the field."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from reference_objects import FIELDS_THE_REFERENCE_CRDS_LACK, SAMPLES, ids, sample, without_fields

from teamop.api.v1beta1 import KINDS
from teamop.testing.controlplane import ControlPlane

pytestmark = pytest.mark.controlplane

FIELD_MANAGER = "teamop-tests"


def strict_apply(controlplane: ControlPlane, manifest: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return controlplane.kubectl(
        "apply",
        "--server-side",
        f"--field-manager={FIELD_MANAGER}",
        "--validate=strict",
        "-f",
        "-",
        input=yaml.safe_dump(manifest),
        check=False,
    )


def in_namespace(manifest: dict[str, Any], namespace: str) -> dict[str, Any]:
    return {**manifest, "metadata": {**manifest["metadata"], "namespace": namespace}}


@pytest.mark.parametrize("kind", KINDS, ids=[kind.kind for kind in KINDS])
def test_crd_is_established(controlplane: ControlPlane, kind: Any) -> None:
    result = controlplane.kubectl(
        "get", "crd", kind.crd_name, "-o", 'jsonpath={.status.conditions[?(@.type=="Established")].status}'
    )

    assert result.stdout == "True"


@pytest.mark.parametrize("path", SAMPLES, ids=ids(SAMPLES))
def test_sample_without_fields_its_crd_lacks_is_accepted(
    controlplane: ControlPlane, namespace: str, path: Path
) -> None:
    manifest = in_namespace(without_fields(sample(path), FIELDS_THE_REFERENCE_CRDS_LACK[path.name]), namespace)

    result = strict_apply(controlplane, manifest)

    assert result.returncode == 0, result.stderr


SAMPLES_WITH_UNKNOWN_FIELDS = [path for path in SAMPLES if FIELDS_THE_REFERENCE_CRDS_LACK[path.name]]
NOT_DECLARED = re.compile(r"\.(spec\.[^:\s]+): field not declared in schema")


@pytest.mark.parametrize("path", SAMPLES_WITH_UNKNOWN_FIELDS, ids=ids(SAMPLES_WITH_UNKNOWN_FIELDS))
def test_strict_create_of_sample_names_every_unknown_field_at_once(
    controlplane: ControlPlane, namespace: str, path: Path
) -> None:
    manifest = in_namespace(sample(path), namespace)

    result = controlplane.kubectl("create", "--validate=strict", "-f", "-", input=yaml.safe_dump(manifest), check=False)

    assert result.returncode != 0
    named = set(re.findall(r'unknown field "([^"]+)"', result.stderr))
    assert named == set(FIELDS_THE_REFERENCE_CRDS_LACK[path.name]), result.stderr


@pytest.mark.parametrize("path", SAMPLES_WITH_UNKNOWN_FIELDS, ids=ids(SAMPLES_WITH_UNKNOWN_FIELDS))
def test_strict_server_side_apply_of_sample_names_each_unknown_field(
    controlplane: ControlPlane, namespace: str, path: Path
) -> None:
    """Server-side apply may stop at the first undeclared field: removing what it names, round after round,
    names each of them and then the sample is accepted."""
    manifest = in_namespace(sample(path), namespace)
    named: list[str] = []

    for _ in FIELDS_THE_REFERENCE_CRDS_LACK[path.name]:
        result = strict_apply(controlplane, manifest)
        if result.returncode == 0:
            break
        fields = NOT_DECLARED.findall(result.stderr)
        assert fields, result.stderr
        named += fields
        manifest = without_fields(manifest, fields)

    assert sorted(named) == sorted(FIELDS_THE_REFERENCE_CRDS_LACK[path.name])
    assert strict_apply(controlplane, manifest).returncode == 0


def site(namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "core.posit.team/v1beta1",
        "kind": "Site",
        "metadata": {"name": "orbit", "namespace": namespace},
        "spec": spec,
    }


INVALID_SITES: dict[str, tuple[dict[str, Any], str]] = {
    "no-domain": ({"connect": {}}, "spec.domain"),
    "domain-not-dns": ({"domain": "Not A Domain!"}, "spec.domain"),
    "negative-replicas": ({"domain": "a.example.com", "connect": {"replicas": -1}}, "spec.connect.replicas"),
    "cpu-ratio-above-one": (
        {"domain": "a.example.com", "workbench": {"experimentalFeatures": {"cpuRequestRatio": "1.5"}}},
        "spec.workbench.experimentalFeatures.cpuRequestRatio",
    ),
    "cpu-ratio-negative": (
        {"domain": "a.example.com", "workbench": {"experimentalFeatures": {"cpuRequestRatio": "-0.5"}}},
        "spec.workbench.experimentalFeatures.cpuRequestRatio",
    ),
    "unknown-license-type": (
        {"domain": "a.example.com", "packageManager": {"license": {"type": "LICENSE_FILE"}}},
        "spec.packageManager.license.type",
    ),
    "domain-prefix-with-dot": (
        {"domain": "a.example.com", "connect": {"domainPrefix": "my.connect"}},
        "spec.connect.domainPrefix",
    ),
    "domain-prefix-upper-case": (
        {"domain": "a.example.com", "workbench": {"domainPrefix": "Workbench"}},
        "spec.workbench.domainPrefix",
    ),
    "ssh-key-name-not-dns-label": (
        {
            "domain": "a.example.com",
            "packageManager": {
                "gitSSHKeys": [
                    {"name": "GitHub_Key", "host": "github.com", "secretRef": {"source": "kubernetes", "name": "k"}}
                ]
            },
        },
        "spec.packageManager.gitSSHKeys[0].name",
    ),
    "duplicate-ssh-key-name": (
        {
            "domain": "a.example.com",
            "packageManager": {
                "gitSSHKeys": [
                    {"name": "github", "host": host, "secretRef": {"source": "kubernetes", "name": "k"}}
                    for host in ("github.com", "gitlab.com")
                ]
            },
        },
        "spec.packageManager.gitSSHKeys",
    ),
    "two-products-one-host": (
        {"domain": "a.example.com", "connect": {}, "workbench": {"domainPrefix": "connect"}},
        "spec.workbench.domainPrefix",
    ),
}


@pytest.mark.parametrize(("spec", "field"), INVALID_SITES.values(), ids=INVALID_SITES.keys())
def test_invalid_site_is_rejected_naming_the_field(
    controlplane: ControlPlane, namespace: str, spec: dict[str, Any], field: str
) -> None:
    result = strict_apply(controlplane, site(namespace, spec))

    assert result.returncode != 0
    assert field in result.stderr, result.stderr


def test_valid_site_gets_the_reference_defaults(controlplane: ControlPlane, namespace: str) -> None:
    strict_apply(controlplane, site(namespace, {"domain": "orbit.example.com", "connect": {}}))

    stored = controlplane.kubectl_json("get", "site", "orbit", "-n", namespace)

    spec: Any = stored["spec"]
    assert spec["networkTrust"] == 100
    assert spec["connect"] == {"domainPrefix": "connect", "scheduleConcurrency": 2}


def test_kubectl_get_sites_shows_ready_and_domain(controlplane: ControlPlane, namespace: str) -> None:
    strict_apply(controlplane, site(namespace, {"domain": "orbit.example.com"}))

    header, row = controlplane.kubectl("get", "sites", "-n", namespace).stdout.splitlines()

    assert header.split() == ["NAME", "READY", "DOMAIN", "AGE"]
    assert row.split()[0] == "orbit"
    assert "orbit.example.com" in row.split()


def test_kubectl_explain_describes_the_site_sections(controlplane: ControlPlane) -> None:
    explained = controlplane.kubectl("explain", "site.spec.connect").stdout

    assert "Connect contains Posit Connect configuration" in explained
    assert "domainPrefix" in explained
