"""Keycloak of the reference's sample Site (tests/reference/rendered/Site-test.yaml has `keycloak.enabled`), rendered
by teamop, is what the Go operator's Site controller makes: the Keycloak resource and the Middleware of its Ingress
(tests/products/site/from_reference/Keycloak-test.yaml, written from reading the reference), its PostgresDatabase
(tests/reference/rendered/PostgresDatabase-test-keycloak.yaml). The only differences allowed are those listed in
`teamop.products.site.differences`. Also: its NetworkPolicy at `networkTrust` 50 or less."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from site_parity import REFERENCE, load

from teamop.api.v1beta1 import Site, SiteSpec
from teamop.products.context import SecretKeyRef
from teamop.products.site import DatabaseServer, SiteInputs, render_site
from teamop.products.site.differences import allowed_paths
from teamop.testing.parity import differences, leaves

SITE = "test"
NAMESPACE = "posit-team"
# The reference's PostgresDatabase-test-keycloak.yaml names 127.0.0.1 (no port: the reference then uses 5432).
DATABASE = DatabaseServer("127.0.0.1", 5432, "disable")
WRITTEN_FROM_REFERENCE = Path(__file__).parent / "from_reference" / "Keycloak-test.yaml"
# The sample Site's site secret `test` holds both keys, as the Go operator requires.
INPUTS = SiteInputs(database=DATABASE, keycloak_crd_installed=True,
                    keycloak_password=SecretKeyRef(SITE, "keycloak-db-password"),
                    keycloak_user=SecretKeyRef(SITE, "keycloak-db-user"), traefik_crd_installed=True)


def reference_spec(**changes: Any) -> SiteSpec:
    site = load(REFERENCE / "Site-test.yaml")
    site["spec"].update(changes)
    return Site.model_validate(site).spec


def written_from_reference(kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in yaml.safe_load_all(WRITTEN_FROM_REFERENCE.read_text())
                                 if d["kind"] == kind)
    return found


def rendered(spec: SiteSpec, inputs: SiteInputs = INPUTS) -> list[dict[str, Any]]:
    return render_site(SITE, NAMESPACE, spec, inputs).objects


def the_one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


@pytest.fixture(scope="module")
def site_objects() -> list[dict[str, Any]]:
    return rendered(reference_spec())


def test_the_keycloak_resource_has_every_setting_of_the_reference(site_objects: list[dict[str, Any]]) -> None:
    ours = the_one(site_objects, "Keycloak", f"{SITE}-keycloak")
    theirs = written_from_reference("Keycloak")
    assert ours["apiVersion"] == theirs["apiVersion"]
    assert differences(leaves(ours["spec"]), leaves(theirs["spec"]), allowed_paths("Keycloak")) == []


def test_the_keycloak_resource_carries_the_site_labels(site_objects: list[dict[str, Any]]) -> None:
    ours = the_one(site_objects, "Keycloak", f"{SITE}-keycloak")
    # The managed-by label is added by the applier, as on every child.
    assert ours["metadata"]["labels"].items() <= written_from_reference("Keycloak")["metadata"]["labels"].items()


def test_keycloak_pods_run_as_the_site_keycloak_service_account(site_objects: list[dict[str, Any]]) -> None:
    keycloak = the_one(site_objects, "Keycloak", f"{SITE}-keycloak")
    account = keycloak["spec"]["unsupported"]["podTemplate"]["spec"]["serviceAccountName"]
    assert the_one(site_objects, "ServiceAccount", account)["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/keycloak.20240101..posit.team"}


def test_the_keycloak_middleware_is_the_reference_forward_middleware(site_objects: list[dict[str, Any]]) -> None:
    ours = the_one(site_objects, "Middleware", f"{SITE}-keycloak-forward")
    theirs = written_from_reference("Middleware")
    assert ours["apiVersion"] == theirs["apiVersion"]
    assert ours["spec"] == theirs["spec"]
    assert ours["metadata"]["labels"].items() <= theirs["metadata"]["labels"].items()


def test_without_the_traefik_crd_there_is_no_middleware_but_the_ingress_still_names_it() -> None:
    objects = rendered(reference_spec(), SiteInputs(database=DATABASE, keycloak_crd_installed=True,
                                                   keycloak_password=SecretKeyRef(SITE, "keycloak-db-password")))
    assert [o for o in objects if o["kind"] == "Middleware"] == []
    ingress = the_one(objects, "Keycloak", f"{SITE}-keycloak")["spec"]["ingress"]
    assert ingress["annotations"] == written_from_reference("Keycloak")["spec"]["ingress"]["annotations"]


def test_the_keycloak_database_is_the_reference_database_with_schema_keycloak(
    site_objects: list[dict[str, Any]],
) -> None:
    ours = the_one(site_objects, "PostgresDatabase", f"{SITE}-keycloak")["spec"]
    theirs = load(REFERENCE / "PostgresDatabase-test-keycloak.yaml")["spec"]
    assert ours["schemas"] == theirs["schemas"] == ["keycloak"]
    assert ours["url"] == "postgres://test_keycloak@127.0.0.1:5432/test_keycloak"
    assert differences(leaves(ours), leaves(theirs), allowed_paths("PostgresDatabase")) == []


def test_without_the_users_keycloak_db_user_keycloak_reads_the_role_from_the_generated_secret() -> None:
    objects = rendered(reference_spec(), SiteInputs(database=DATABASE, keycloak_crd_installed=True,
                                                   keycloak_password=SecretKeyRef(SITE, "keycloak-db-password")))
    database = the_one(objects, "Keycloak", f"{SITE}-keycloak")["spec"]["db"]
    assert database["usernameSecret"] == {"name": f"{SITE}-keycloak-generated", "key": "keycloak-db-user"}


def test_the_keycloak_image_and_node_selector_reach_its_pods() -> None:
    objects = rendered(reference_spec(keycloak={"enabled": True, "image": "quay.io/keycloak/keycloak:26.1",
                                                "imagePullPolicy": "IfNotPresent",
                                                "nodeSelector": {"pool": "identity"}}))
    spec = the_one(objects, "Keycloak", f"{SITE}-keycloak")["spec"]
    assert spec["image"] == "quay.io/keycloak/keycloak:26.1"
    pod = spec["unsupported"]["podTemplate"]["spec"]
    assert pod["nodeSelector"] == {"pool": "identity"}
    assert pod["containers"][0]["imagePullPolicy"] == "IfNotPresent"


# --- NetworkPolicy ------------------------------------------------------------------------------------------------


def keycloak_policy(network_trust: int, keycloak: bool = True) -> dict[str, Any] | None:
    objects = rendered(reference_spec(networkTrust=network_trust, keycloak={"enabled": keycloak}))
    found = [o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == f"{SITE}-keycloak"]
    return found[0] if found else None


def test_at_network_trust_50_keycloak_pods_take_users_on_its_http_ports_only() -> None:
    policy = keycloak_policy(50)
    assert policy is not None
    spec = policy["spec"]
    # The labels the Keycloak operator gives the pods of the Keycloak resource `test-keycloak`.
    assert spec["podSelector"] == {"matchLabels": {"app": "keycloak", "app.kubernetes.io/instance": "test-keycloak"}}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert [port["port"] for rule in spec["ingress"] for port in rule["ports"]] == [8080, 8443]


def test_at_network_trust_50_keycloak_reaches_dns_its_database_and_https_only() -> None:
    policy = keycloak_policy(50)
    assert policy is not None
    ports = sorted({(port["protocol"], port["port"]) for rule in policy["spec"]["egress"] for port in rule["ports"]})
    assert ports == [("TCP", 53), ("TCP", 443), ("TCP", 5432), ("UDP", 53)]


def test_above_network_trust_50_keycloak_has_no_network_policy() -> None:
    assert keycloak_policy(51) is None


def test_without_keycloak_there_is_no_keycloak_network_policy() -> None:
    assert keycloak_policy(0, keycloak=False) is None
