"""The reference's sample Site (tests/reference/rendered/Site-test.yaml), rendered by teamop, gives the product
resources the Go operator's Site controller wrote for it (tests/reference/rendered/<Kind>-test.yaml), field by
field, and those resources give the gcfg files the Go operator's product controllers wrote
(tests/reference/rendered/test_site/ConfigMap-test-<product>.yaml), key by key. Site-owned objects — the image
pre-pull DaemonSet and Keycloak's ServiceAccount — are the reference's too. The only differences allowed are those
listed, with their reasons, in `teamop.products.site.differences`. (Workbench: tests/products/workbench.)
"""

from __future__ import annotations

from typing import Any

import pytest
from site_parity import REFERENCE, REFERENCE_OBJECTS, load

from teamop.api.v1beta1 import Site
from teamop.controllers.preview import SitePlan, plan_site
from teamop.products.context import SecretKeyRef
from teamop.products.site import DatabaseServer, SiteInputs, render_site
from teamop.products.site.differences import allowed_paths
from teamop.testing.parity import differences, ini_settings, leaves

SITE = "test"
NAMESPACE = "posit-team"
DATABASE = DatabaseServer("postgres.example.test", 5432, "disable")
# What the API server fills in on a DaemonSet the reference left unset: present in the reference's live object,
# not in what either operator sends.
API_SERVER_DEFAULTS = (
    "revisionHistoryLimit", "updateStrategy.rollingUpdate.maxSurge", "template.spec.dnsPolicy",
    "template.spec.restartPolicy", "template.spec.schedulerName", "template.spec.terminationGracePeriodSeconds",
    "template.spec.*ontainers.*.terminationMessagePath", "template.spec.*ontainers.*.terminationMessagePolicy",
    # `Always` for an image tagged `latest` (as the sample's): the reference sets no pull policy either.
    "template.spec.*ontainers.*.imagePullPolicy",
)


def reference_site() -> Site:
    return Site.model_validate(load(REFERENCE / "Site-test.yaml"))


@pytest.fixture(scope="module")
def site_objects() -> list[dict[str, Any]]:
    inputs = SiteInputs(database=DATABASE, keycloak_crd_installed=True,
                        keycloak_password=SecretKeyRef("test", "keycloak-db-password"))
    return render_site(SITE, NAMESPACE, reference_site().spec, inputs).objects


@pytest.fixture(scope="module")
def plan() -> SitePlan:
    """The Site and its product resources rendered as `teamop render` renders them: each product resource by its
    product's renderer, with the inputs its controller computes."""
    return plan_site(reference_site(), NAMESPACE, database=DATABASE)


def the_one(objects: list[dict[str, Any]], kind: str, name: str = SITE) -> dict[str, Any]:
    found = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def resource_differences(site_objects: list[dict[str, Any]], kind: str) -> list[str]:
    ours = the_one(site_objects, kind)
    theirs = load(REFERENCE / f"{kind}-test.yaml")
    return differences(leaves(ours["spec"]), leaves(theirs["spec"]), allowed_paths(kind))


def gcfg_differences(plan: SitePlan, product: str, file: str) -> list[str]:
    name = f"{SITE}-{product}"
    ours = the_one([planned.body for planned in plan.objects], "ConfigMap", name)["data"][file]
    theirs = load(REFERENCE_OBJECTS / f"ConfigMap-{name}.yaml")["data"][file]
    return differences(ini_settings(ours), ini_settings(theirs), allowed_paths("ConfigMap"),
                       prefix=f"data.{file}.")


def test_the_connect_resource_carries_every_setting_the_reference_site_controller_writes(
    site_objects: list[dict[str, Any]],
) -> None:
    assert resource_differences(site_objects, "Connect") == []


def test_the_package_manager_resource_carries_every_setting_the_reference_site_controller_writes(
    site_objects: list[dict[str, Any]],
) -> None:
    assert resource_differences(site_objects, "PackageManager") == []


def test_the_chronicle_resource_carries_every_setting_the_reference_site_controller_writes(
    site_objects: list[dict[str, Any]],
) -> None:
    assert resource_differences(site_objects, "Chronicle") == []


def test_the_flightdeck_resource_carries_every_setting_the_reference_site_controller_writes(
    site_objects: list[dict[str, Any]],
) -> None:
    assert resource_differences(site_objects, "Flightdeck") == []


def test_connect_reads_the_reference_settings_from_its_gcfg(plan: SitePlan) -> None:
    assert gcfg_differences(plan, "connect", "rstudio-connect.gcfg") == []


def test_package_manager_reads_the_reference_settings_from_its_gcfg(plan: SitePlan) -> None:
    assert gcfg_differences(plan, "packagemanager", "rstudio-pm.gcfg") == []


def test_chronicle_reads_the_reference_settings_from_its_gcfg(plan: SitePlan) -> None:
    assert gcfg_differences(plan, "chronicle", "posit-chronicle.gcfg") == []


def test_the_prepull_daemonset_pulls_the_reference_images_under_the_reference_names(
    site_objects: list[dict[str, Any]],
) -> None:
    ours = the_one(site_objects, "DaemonSet", f"{SITE}-prepull")
    theirs = load(REFERENCE_OBJECTS / f"DaemonSet-{SITE}-prepull.yaml")
    assert ours["metadata"]["labels"].items() <= theirs["metadata"]["labels"].items()
    assert differences(leaves(ours["spec"]), leaves(theirs["spec"]),
                       [*allowed_paths("DaemonSet"), *API_SERVER_DEFAULTS]) == []


def test_the_keycloak_service_account_carries_the_reference_iam_role(site_objects: list[dict[str, Any]]) -> None:
    ours = the_one(site_objects, "ServiceAccount", f"{SITE}-keycloak")
    theirs = load(REFERENCE_OBJECTS / f"ServiceAccount-{SITE}-keycloak.yaml")
    assert ours["metadata"]["annotations"] == theirs["metadata"]["annotations"]
    assert ours["metadata"]["labels"].items() <= theirs["metadata"]["labels"].items()
    assert ours["automountServiceAccountToken"] == theirs["automountServiceAccountToken"]
