"""What a Site renders to, as pure data (the Site controller applies it)."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products.context import SecretKeyRef
from teamop.products.site import DatabaseServer, SiteInputs, enabled_sections, product_host, render_site

DATABASE = DatabaseServer("db.example", 5432, "require")


def spec(**sections: Any) -> SiteSpec:
    return SiteSpec.model_validate({"domain": "posit.example.com", **sections})


def kinds(objects: list[dict[str, Any]]) -> list[str]:
    return [f"{o['kind']}/{o['metadata']['name']}" for o in objects]


def test_only_present_sections_are_enabled_and_flightdeck_unless_disabled() -> None:
    assert enabled_sections(spec(connect={})) == ["connect", "flightdeck"]
    assert enabled_sections(spec(connect={}, flightdeck={"enabled": False})) == ["connect"]
    assert enabled_sections(spec(chronicle={"enabled": False})) == ["flightdeck"]
    assert enabled_sections(spec(chronicle={})) == ["chronicle", "flightdeck"]


def test_products_are_served_at_their_prefix_and_flightdeck_at_the_bare_domain() -> None:
    site = spec(connect={"domainPrefix": "rsc"}, workbench={})
    assert product_host(site, "connect") == "rsc.posit.example.com"
    assert product_host(site, "workbench") == "workbench.posit.example.com"
    assert product_host(site, "flightdeck") == "posit.example.com"


def test_product_resources_are_named_after_the_site_with_the_database_server() -> None:
    rendered = render_site("orbit", "team", spec(connect={}, packageManager={}), SiteInputs(database=DATABASE))
    connect = next(o for o in rendered.objects if o["kind"] == "Connect")
    assert connect["metadata"] == {"name": "orbit", "namespace": "team"}
    assert connect["spec"]["databaseConfig"]["host"] == "db.example:5432"
    assert connect["spec"]["config"]["RPackageRepositories"]["CRAN"]["Url"].startswith(
        "https://packagemanager.posit.example.com/")


def test_network_policies_only_at_low_network_trust() -> None:
    trusting = render_site("orbit", "team", spec(connect={}), SiteInputs(database=DATABASE))
    wary = render_site("orbit", "team", spec(connect={}, networkTrust=50), SiteInputs(database=DATABASE))
    assert not [o for o in trusting.objects if o["kind"] == "NetworkPolicy"]
    assert sorted(o["metadata"]["name"] for o in wary.objects if o["kind"] == "NetworkPolicy") == [
        "orbit-connect", "orbit-connect-session", "orbit-flightdeck"]


def test_the_prepull_daemonset_names_each_image_after_its_place_in_the_references_list() -> None:
    site = spec(connect={"image": "c:1", "sessionImage": "s:1"}, workbench={"image": "c:1"},
                packageManager={"image": "p:1"})
    prepull = next(o for o in render_site("orbit", "team", site, SiteInputs()).objects if o["kind"] == "DaemonSet")
    pulled = [(c["name"], c["image"]) for c in prepull["spec"]["template"]["spec"]["initContainers"]]
    assert pulled == [("pre-pull-container-0", "c:1"), ("pre-pull-container-2", "c:1"),
                      ("pre-pull-container-3", "s:1"), ("pre-pull-container-6", "p:1")]
    disabled = spec(connect={"image": "c:1"}, disablePrePullImages=True)
    assert not [o for o in render_site("orbit", "team", disabled, SiteInputs()).objects if o["kind"] == "DaemonSet"]


def test_the_prepull_daemonset_tolerates_the_taints_workbench_tolerates() -> None:
    toleration = {"key": "sessions", "operator": "Exists", "effect": "NoSchedule"}
    site = spec(workbench={"image": "w:1", "tolerations": [toleration]})
    prepull = next(o for o in render_site("orbit", "team", site, SiteInputs()).objects if o["kind"] == "DaemonSet")
    assert prepull["spec"]["template"]["spec"]["tolerations"] == [toleration]


def test_an_nfs_volume_source_gives_cluster_volumes_and_points_the_products_at_them() -> None:
    site = spec(connect={}, workbench={}, volumeSource={"type": "nfs", "dnsName": "nfs.example"})
    rendered = render_site("orbit", "team", site, SiteInputs(database=DATABASE))
    assert kinds(rendered.cluster_objects) == [
        "PersistentVolume/orbit", "PersistentVolume/orbit-connect", "PersistentVolume/orbit-workbench",
        "PersistentVolume/orbit-workbench-shared-storage"]
    assert [volume["spec"]["nfs"]["path"] for volume in rendered.cluster_objects] == [
        "/", "/orbit/connect", "/orbit/workbench", "/orbit/workbench-shared-storage"]
    connect = next(o for o in rendered.objects if o["kind"] == "Connect")
    assert connect["spec"]["volume"]["volumeName"] == "orbit-connect"
    assert connect["spec"]["volume"]["storageClassName"] == "orbit-connect-nfs"


def test_keycloak_without_its_crd_is_a_notice_not_an_object() -> None:
    rendered = render_site("orbit", "team", spec(keycloak={"enabled": True}), SiteInputs(database=DATABASE))
    assert not [o for o in rendered.objects if o["kind"] == "Keycloak"]
    assert [(n.condition, n.reason) for n in rendered.notices] == [("KeycloakReady", "KeycloakCRDMissing")]


def test_keycloak_logs_in_as_the_role_teamop_creates() -> None:
    inputs = SiteInputs(database=DATABASE, keycloak_crd_installed=True,
                        keycloak_password=SecretKeyRef("orbit", "keycloak-db-password"))
    rendered = render_site("orbit", "team", spec(keycloak={"enabled": True}), inputs)
    keycloak = next(o for o in rendered.objects if o["kind"] == "Keycloak")
    database = next(o for o in rendered.objects if o["kind"] == "PostgresDatabase")
    assert keycloak["spec"]["db"]["usernameSecret"] == {"name": "orbit-keycloak-generated", "key": "keycloak-db-user"}
    assert keycloak["spec"]["db"]["passwordSecret"] == {"name": "orbit", "key": "keycloak-db-password"}
    assert database["spec"]["url"] == "postgres://orbit_keycloak@db.example:5432/orbit_keycloak"


def test_auth_none_is_a_warning_that_password_is_used() -> None:
    rendered = render_site("orbit", "team", spec(connect={"auth": {"type": "none"}}), SiteInputs(database=DATABASE))
    notice = next(n for n in rendered.notices if n.condition == "AuthConfigured")
    assert notice.warning
    assert "password" in notice.message
