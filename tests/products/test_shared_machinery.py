"""The shared rendering machinery: gcfg writer, Rendered, object builders, workload helpers, licence, sidecar."""

from __future__ import annotations

import pytest

from teamop.api.v1beta1.common import LicenseSpec, VolumeSpec
from teamop.products.context import ChronicleAgent, SecretKeyRef
from teamop.products.gcfg import Gcfg, subsection
from teamop.products.license import CONNECT_LICENSE, PACKAGE_MANAGER_LICENSE, license_parts
from teamop.products.objects import pod_disruption_budget
from teamop.products.rendered import Rendered, config_hash
from teamop.products.sidecar import chronicle_agent_container
from teamop.products.storage import DEFAULT_DATA_SIZE, data_claim
from teamop.products.workload import with_added_env


def test_gcfg_writes_sections_in_the_given_order_whatever_the_merge_order() -> None:
    doc = Gcfg(section_order=["Server", "Http"], key_order={"Server": ["Address", "DataDir"]})
    doc.set("Http", "Listen", ":3939")
    doc.set("Server", "DataDir", "/data")
    doc.set("Server", "Address", "https://x")
    assert doc.render() == "\n[Server]\nAddress = https://x\nDataDir = /data\n\n[Http]\nListen = :3939\n"


def test_gcfg_repeats_a_key_for_each_list_element_and_writes_booleans_in_lower_case() -> None:
    doc = Gcfg()
    doc.merge({"OAuth2": {"CustomScope": ["openid", "email"], "Logging": True}})
    assert doc.render() == "\n[OAuth2]\nCustomScope = openid\nCustomScope = email\nLogging = true\n"


def test_gcfg_quotes_values_it_would_otherwise_misread() -> None:
    doc = Gcfg()
    doc.set("Server", "LoggedInWarning", 'Be "careful"; #1')
    assert 'LoggedInWarning = "Be \\"careful\\"; #1"' in doc.render()


def test_gcfg_writes_an_empty_section_bare() -> None:
    doc = Gcfg()
    doc.section("Debug")
    assert doc.render() == "\n[Debug]\n"


def test_gcfg_later_values_win_and_unset_values_change_nothing() -> None:
    doc = Gcfg()
    doc.merge({"Http": {"Listen": ":80"}})
    doc.merge({"Http": {"Listen": ":3939", "ForceSecure": None}})
    assert doc.render() == "\n[Http]\nListen = :3939\n"


def test_gcfg_subsection_titles_quote_the_name() -> None:
    assert subsection("RPackageRepository", "CRAN") == 'RPackageRepository "CRAN"'


def test_config_hash_changes_with_any_file_and_not_with_insertion_order() -> None:
    assert config_hash({"a": "1", "b": "2"}) == config_hash({"b": "2", "a": "1"})
    assert config_hash({"a": "1", "b": "2"}) != config_hash({"a": "1", "b": "3"})
    assert config_hash({"ab": ""}) != config_hash({"a": "b"})


def test_rendered_objects_come_in_apply_order() -> None:
    rendered = Rendered()
    for kind in ("PodDisruptionBudget", "Deployment", "ConfigMap", "ServiceAccount"):
        rendered.add({"kind": kind, "metadata": {"name": kind.lower()}})
    assert [obj["kind"] for obj in rendered.objects] == [
        "ServiceAccount", "ConfigMap", "Deployment", "PodDisruptionBudget",
    ]


def test_rendered_refuses_the_same_object_twice() -> None:
    rendered = Rendered()
    rendered.add({"kind": "ConfigMap", "metadata": {"name": "x"}})
    with pytest.raises(ValueError, match="twice"):
        rendered.add({"kind": "ConfigMap", "metadata": {"name": "x"}})


@pytest.mark.parametrize(("replicas", "wanted"), [(0, False), (1, False), (2, True), (5, True)])
def test_pod_disruption_budget_only_with_more_than_one_replica(replicas: int, wanted: bool) -> None:
    assert (pod_disruption_budget("s", "ns", "connect", replicas) is not None) is wanted


def test_added_env_replaces_a_variable_of_the_same_name_and_appends_the_rest() -> None:
    env = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert with_added_env(env, {"B": "3", "C": "4"}) == [
        {"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"},
    ]


def test_no_volume_gives_a_default_size_claim_from_the_default_class() -> None:
    claim = data_claim("s", "ns", "connect", None)
    assert claim.claim_name == "s-connect"
    assert claim.pvc is not None
    assert claim.pvc["spec"]["resources"]["requests"]["storage"] == DEFAULT_DATA_SIZE
    assert "storageClassName" not in claim.pvc["spec"]


def test_an_existing_claim_is_mounted_and_not_created() -> None:
    claim = data_claim("s", "ns", "connect", VolumeSpec(pvc_name="mine"))
    assert (claim.claim_name, claim.pvc) == ("mine", None)


def test_a_file_licence_mounts_the_existing_secret_read_only_at_the_licence_path() -> None:
    spec = LicenseSpec(type="FILE", existing_secret_name="license", existing_secret_key="pc.lic")
    parts = license_parts("s", "ns", "connect", spec, CONNECT_LICENSE, {})
    assert parts.pod.env == [{"name": "RSC_LICENSE_FILE_PATH", "value": "/etc/rstudio-connect/license.lic"}]
    assert {"name": "license-volume", "mountPath": "/etc/rstudio-connect/license.lic", "subPath": "pc.lic",
            "readOnly": True} in parts.pod.mounts
    assert parts.secret is None


def test_a_key_licence_goes_into_a_secret_and_the_env_only_references_it() -> None:
    parts = license_parts("s", "ns", "packagemanager", LicenseSpec(type="KEY", key="KEY-1"),
                          PACKAGE_MANAGER_LICENSE, {})
    assert parts.secret is not None
    assert parts.secret["metadata"]["name"] == "s-packagemanager-license"
    assert parts.pod.env == [{"name": "RSPM_LICENSE", "valueFrom": {"secretKeyRef": {
        "name": "s-packagemanager-license", "key": "license-key"}}}]


def test_no_licence_at_all_is_reported_missing() -> None:
    assert license_parts("s", "ns", "connect", None, CONNECT_LICENSE, {}).missing


def test_the_agent_sidecar_takes_the_api_key_from_its_secret() -> None:
    agent = ChronicleAgent(image="agent:1", server_url="http://c")
    container = chronicle_agent_container(agent, "connect", api_key=SecretKeyRef("site", "pub-chronicle-api-key"))
    assert container["env"] == [
        {"name": "CHRONICLE_SERVER_ADDRESS", "value": "http://c"},
        {"name": "CHRONICLE_CONNECT_APIKEY", "valueFrom": {"secretKeyRef": {
            "name": "site", "key": "pub-chronicle-api-key"}}},
    ]
