"""The `thirdparty_crds` fixture: other projects' CRDs exist in the test cluster only while a test needs them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from teamop.testing.controlplane import ControlPlane
from teamop.testing.thirdparty import CRDS, ThirdPartyCRDs, crd_manifest

pytestmark = [pytest.mark.controlplane]


def crd_names(plane: ControlPlane) -> set[str]:
    listing = json.loads(plane.kubectl("get", "crd", "-o", "json").stdout)
    return {item["metadata"]["name"] for item in listing["items"]}


def served_plurals(plane: ControlPlane, group_version: str) -> set[str]:
    result = plane.kubectl("get", "--raw", f"/apis/{group_version}", check=False)
    if result.returncode != 0:
        return set()
    return {r["name"] for r in json.loads(result.stdout)["resources"]}


@pytest.fixture
async def crds(controlplane: ControlPlane) -> AsyncIterator[ThirdPartyCRDs]:
    installer = ThirdPartyCRDs(controlplane)
    yield installer
    await installer.remove_all()


def test_every_third_party_crd_file_holds_its_crd_with_the_version_the_operator_uses() -> None:
    for crd in CRDS.values():
        manifest = crd_manifest(crd)
        group, version = crd.group_version.split("/")
        assert manifest["spec"]["group"] == group
        assert version in {v["name"] for v in manifest["spec"]["versions"] if v["served"]}


async def test_installed_crds_are_served_until_removed(controlplane: ControlPlane, crds: ThirdPartyCRDs) -> None:
    await crds.install("middlewares", "secretproviderclasses", "keycloaks")
    assert {"middlewares.traefik.io", "secretproviderclasses.secrets-store.csi.x-k8s.io",
            "keycloaks.k8s.keycloak.org"} <= crd_names(controlplane)
    assert "middlewares" in served_plurals(controlplane, "traefik.io/v1alpha1")
    assert "keycloaks" in served_plurals(controlplane, "k8s.keycloak.org/v2alpha1")

    await crds.remove_all()
    assert not {"middlewares.traefik.io", "secretproviderclasses.secrets-store.csi.x-k8s.io",
                "keycloaks.k8s.keycloak.org"} & crd_names(controlplane)
    assert "middlewares" not in served_plurals(controlplane, "traefik.io/v1alpha1")


async def test_only_the_named_crds_are_installed(controlplane: ControlPlane, crds: ThirdPartyCRDs) -> None:
    await crds.install("middlewares")
    names = crd_names(controlplane)
    assert "middlewares.traefik.io" in names
    assert "ingressroutes.traefik.io" not in names
    assert "keycloaks.k8s.keycloak.org" not in names


async def test_an_unknown_plural_is_refused_with_the_known_ones(crds: ThirdPartyCRDs) -> None:
    with pytest.raises(ValueError, match="middlewares"):
        await crds.install("ingressroutes")
