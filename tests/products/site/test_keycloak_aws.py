"""Keycloak of a Site with `secret.type: aws`: its database login comes from AWS Secrets Manager through the
Secrets Store CSI driver, as the Go operator does it (api/core/v1beta1/keycloak.go): the SecretProviderClass
`<site>-keycloak` (tests/reference/aws/SecretProviderClass-test-keycloak.yaml, written from reading the reference)
syncs it into `<site>-keycloak-db-login`, which the Keycloak resource and its database read, and the Deployment
`<site>-keycloak-spc-consumer` mounts it so that the driver syncs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from site_parity import REFERENCE, load

from teamop.api.v1beta1 import Site, SiteSpec
from teamop.products.context import SecretKeyRef
from teamop.products.site import DatabaseServer, SiteInputs, render_site

SITE = "test"
NAMESPACE = "posit-team"
VAULT = "test-site.sites.posit.team"
DATABASE = DatabaseServer("127.0.0.1", 5432, "disable")
AWS_REFERENCE = Path(__file__).parents[2] / "reference" / "aws"


def aws_spec() -> SiteSpec:
    site = load(REFERENCE / "Site-test.yaml")
    site["spec"]["secret"] = {"type": "aws", "vaultName": VAULT}
    return Site.model_validate(site).spec


def rendered(provider_class_crd: bool = True) -> tuple[list[dict[str, Any]], list[str]]:
    inputs = SiteInputs(database=DATABASE, keycloak_crd_installed=True,
                        keycloak_password=SecretKeyRef(f"{SITE}-keycloak-db-login", "keycloak-db-password"),
                        secret_provider_class_crd_installed=provider_class_crd)
    result = render_site(SITE, NAMESPACE, aws_spec(), inputs)
    return result.objects, [notice.reason for notice in result.notices]


def the_one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def as_sets(provider_class: dict[str, Any]) -> dict[str, Any]:
    """The reference builds `objects`' jmesPath and `secretObjects` data from Go maps: compared without order."""
    spec = provider_class["spec"]
    objects = yaml.safe_load(spec["parameters"]["objects"])
    for entry in objects:
        entry["jmesPath"] = sorted(entry["jmesPath"], key=lambda item: item["objectAlias"])
    synced = [{**s, "data": sorted(s["data"], key=lambda item: item["key"])} for s in spec["secretObjects"]]
    return {"metadata": {k: provider_class["metadata"][k] for k in ("name", "namespace", "labels")},
            "provider": spec["provider"], "region": spec["parameters"]["region"], "objects": objects,
            "secretObjects": synced}


def test_keycloak_reads_its_database_login_from_the_synced_secret() -> None:
    objects, _ = rendered()
    database = the_one(objects, "Keycloak", f"{SITE}-keycloak")["spec"]["db"]
    assert database["usernameSecret"] == {"name": "test-keycloak-db-login", "key": "keycloak-db-user"}
    assert database["passwordSecret"] == {"name": "test-keycloak-db-login", "key": "keycloak-db-password"}


def test_the_site_makes_keycloaks_secret_provider_class_as_the_reference() -> None:
    objects, _ = rendered()
    ours = the_one(objects, "SecretProviderClass", f"{SITE}-keycloak")
    theirs = yaml.safe_load((AWS_REFERENCE / "SecretProviderClass-test-keycloak.yaml").read_text())
    assert as_sets(ours) == as_sets(theirs)


def test_a_pod_of_the_site_mounts_keycloaks_secret_provider_class_so_that_the_driver_syncs_it() -> None:
    objects, _ = rendered()
    deployment = the_one(objects, "Deployment", f"{SITE}-keycloak-spc-consumer")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == f"{SITE}-keycloak"
    assert [v["csi"]["volumeAttributes"]["secretProviderClass"] for v in pod["volumes"]] == [f"{SITE}-keycloak"]
    # The reference's Site selector labels.
    assert deployment["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/managed-by": "team-operator", "app.kubernetes.io/name": "site",
        "app.kubernetes.io/instance": SITE}
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_without_the_secret_provider_class_crd_keycloak_says_its_login_is_never_synced() -> None:
    objects, reasons = rendered(provider_class_crd=False)
    assert [o for o in objects if o["kind"] in ("SecretProviderClass", "Deployment")] == []
    assert "SecretProviderClassCRDMissing" in reasons
    assert the_one(objects, "Keycloak", f"{SITE}-keycloak")
