"""`secret.type: aws`: the SecretProviderClasses, CSI volumes, mounts and env each product renders, compared with
the objects written by hand from the Go operator's code (tests/reference/aws/README.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.products.cases import SITE, reference_spec
from tests.products.workbench.workbench_cases import databricks_site, spec_from_site

from teamop.api.v1beta1 import ConnectSpec, PackageManagerSpec
from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products import connect, packagemanager
from teamop.products.aws_secrets import (
    aws_region,
    keycloak_provider_class,
    keycloak_sync_deployment,
    objects_parameter,
    product_secrets,
    synced_secret_name,
)
from teamop.products.context import RenderContext, SecretKeyRef
from teamop.products.database import database_target
from teamop.products.rendered import Rendered
from teamop.products.site.labels import site_labels
from teamop.products.workbench import render as render_workbench
from teamop.products.workbench import secret_needs as workbench_needs

EXPECTED = Path(__file__).parents[1] / "reference" / "aws"
CASES: dict[str, Any] = yaml.safe_load((EXPECTED / "cases.yaml").read_text())
PODS: dict[str, Any] = yaml.safe_load((EXPECTED / "pods.yaml").read_text())
NAMESPACE = "posit-team"
VAULT = "test-site.sites.posit.team"
KIND = {"connect": "Connect", "workbench": "Workbench", "packagemanager": "PackageManager"}
MODEL: dict[str, Any] = {"connect": ConnectSpec, "workbench": WorkbenchSpec, "packagemanager": PackageManagerSpec}
PASSWORD_KEY = {"connect": "pub-db-password", "workbench": "dev-db-password", "packagemanager": "pkg-db-password"}


def expected(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXPECTED / f"SecretProviderClass-{name}.yaml").read_text())
    return loaded


def aws_spec(component: str) -> Any:
    spec = copy.deepcopy(reference_spec(KIND[component]))
    for key, value in CASES[component].items():
        if key == "config":
            for section, settings in value.items():
                spec["config"].setdefault(section, {}).update(settings)
        else:
            spec[key] = value
    spec["secret"] = {"type": "aws", "vaultName": VAULT}
    return MODEL[component].model_validate({**spec})


def rendered(component: str, spec: Any) -> Rendered:
    """The product rendered with the keys where the controller puts them for secret.type aws: the synced
    Secrets, and `-generated` for what the reference generates even then (Workbench's own keys)."""
    aws = product_secrets(component, spec, SITE)
    assert aws is not None
    refs: dict[str, SecretKeyRef] = dict(aws.refs)
    if component == "workbench":
        refs.update({need.key: SecretKeyRef("test-workbench-generated", need.key)
                     for need in workbench_needs(spec) if need.generate and need.key not in refs})
    database = database_target(SITE, component, host="postgres.example.test", port=5432, sslmode="require",
                               password=refs[PASSWORD_KEY[component]])
    context = RenderContext(site=SITE, namespace=NAMESPACE, secrets=refs, database=database)
    render = {"connect": connect.render, "workbench": render_workbench, "packagemanager": packagemanager.render}
    result: Rendered = render[component](spec, context)
    return result


def comparable(provider_class: dict[str, Any]) -> dict[str, Any]:
    """A SecretProviderClass with what the reference orders by Go map iteration turned into sets."""
    spec = provider_class["spec"]
    (entry,) = yaml.safe_load(spec["parameters"]["objects"])
    jmes = {(item["objectAlias"], item["path"]) for item in entry.pop("jmesPath", [])}
    synced = {
        obj["secretName"]: (obj["type"], tuple(sorted(obj["labels"].items())),
                            frozenset((d["objectName"], d["key"]) for d in obj["data"]))
        for obj in spec.get("secretObjects") or []
    }
    return {
        "apiVersion": provider_class["apiVersion"], "kind": provider_class["kind"],
        "metadata": provider_class["metadata"], "provider": spec["provider"],
        "region": spec["parameters"]["region"], "object": entry, "jmesPath": jmes, "secretObjects": synced,
    }


def server_pod(result: Rendered, component: str) -> dict[str, Any]:
    pod: dict[str, Any] = result.get("Deployment", f"{SITE}-{component}")["spec"]["template"]["spec"]
    return pod


def csi_volumes(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted((v for v in pod["volumes"] if "csi" in v), key=lambda v: str(v["name"]))


@pytest.mark.parametrize("component", ["connect", "workbench", "packagemanager"])
def test_each_product_renders_the_reference_secret_provider_class(component: str) -> None:
    result = rendered(component, aws_spec(component))
    name = f"{SITE}-{component}-secrets"
    assert comparable(result.get("SecretProviderClass", name)) == comparable(expected(name))


@pytest.mark.parametrize("component", ["connect", "workbench", "packagemanager"])
def test_a_licence_read_from_the_aws_mount_is_not_reported_missing(component: str) -> None:
    spec = aws_spec(component).model_copy(update={"license": None})

    result = rendered(component, spec)

    assert not [warning for warning in result.warnings if "no licence" in warning]
    assert not getattr(result, "license_missing", False)  # Workbench's flag, reported by its controller


def test_package_managers_git_ssh_keys_get_their_own_secret_provider_class() -> None:
    result = rendered("packagemanager", aws_spec("packagemanager"))
    name = f"{SITE}-packagemanager-ssh-secrets"
    assert comparable(result.get("SecretProviderClass", name)) == comparable(expected(name))


def test_package_managers_ssh_config_points_at_the_keys_mounted_from_aws() -> None:
    result = rendered("packagemanager", aws_spec("packagemanager"))
    assert "IdentityFile /mnt/ssh-keys/github" in result.files["ssh_config"]
    assert not result.warnings


def test_keycloak_secret_provider_class_syncs_its_database_login() -> None:
    body = keycloak_provider_class(SITE, VAULT, site_labels(SITE)).body(NAMESPACE, "us-east-2")
    assert comparable(body) == comparable(expected(f"{SITE}-keycloak"))


def test_keycloaks_sync_pod_mounts_its_secret_provider_class_as_the_reference_does() -> None:
    deployment = keycloak_sync_deployment(SITE, NAMESPACE, site_labels(SITE), {"app": "x"})
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["metadata"]["name"] == "test-keycloak-spc-consumer"
    assert pod["serviceAccountName"] == "test-keycloak"
    assert pod["volumes"] == [{"name": "keycloak-csi-volume", "csi": {
        "driver": "secrets-store.csi.k8s.io", "readOnly": True,
        "volumeAttributes": {"secretProviderClass": "test-keycloak"}}}]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "keycloak-csi-volume", "mountPath": "/mnt/dummy", "readOnly": True}]


@pytest.mark.parametrize("component", ["connect", "workbench", "packagemanager"])
def test_the_server_pod_mounts_the_csi_volumes_the_reference_mounts(component: str) -> None:
    pod = server_pod(rendered(component, aws_spec(component)), component)
    assert csi_volumes(pod) == sorted(
        (v for v in PODS[component]["volumes"] if "csi" in v), key=lambda v: str(v["name"]))
    for volume in PODS[component]["volumes"]:
        assert volume in pod["volumes"]


@pytest.mark.parametrize("component", ["connect", "workbench", "packagemanager"])
def test_the_server_reads_its_keys_from_the_synced_secrets_and_the_csi_files(component: str) -> None:
    container = server_pod(rendered(component, aws_spec(component)), component)["containers"][0]
    for mount in PODS[component]["mounts"]:
        assert mount in container["volumeMounts"]
    for env in PODS[component]["env"]:
        assert env in container["env"]


def test_connect_reads_the_oidc_client_secret_from_the_csi_file() -> None:
    result = rendered("connect", aws_spec("connect"))
    assert "ClientSecretFile = /etc/rstudio-connect/client-secret" in result.files["rstudio-connect.gcfg"]
    env = server_pod(result, "connect")["containers"][0]["env"]
    assert "CONNECT_OAUTH2_CLIENTSECRET" not in {e["name"] for e in env}


def test_no_product_reads_the_vault_name_as_a_kubernetes_secret() -> None:
    for component in ("connect", "workbench", "packagemanager"):
        text = yaml.safe_dump(rendered(component, aws_spec(component)).objects)
        assert f"secretName: {VAULT}" not in text
        assert f"name: {VAULT}\n" not in text


def test_a_pod_with_no_file_from_the_mount_still_mounts_the_class_at_mnt_dummy() -> None:
    spec = PackageManagerSpec.model_validate({
        "image": "ghcr.io/rstudio/rstudio-package-manager:2024.11.0",
        "secret": {"type": "aws", "vaultName": VAULT}, "license": {"type": "KEY", "key": "LICENSE-KEY"},
    })
    pod = server_pod(rendered("packagemanager", spec), "packagemanager")
    assert {"name": "secret-csi-volume", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
            "volumeAttributes": {"secretProviderClass": "test-packagemanager-secrets"}}} in pod["volumes"]
    assert {"name": "secret-csi-volume", "mountPath": "/mnt/dummy", "readOnly": True} in \
        pod["containers"][0]["volumeMounts"]


def test_without_optional_features_only_the_reference_base_keys_are_asked_for() -> None:
    spec = WorkbenchSpec.model_validate({"image": "ghcr.io/rstudio/rstudio-workbench:2024.12.0",
                                         "secret": {"type": "aws", "vaultName": VAULT}})
    body = rendered("workbench", spec).get("SecretProviderClass", "test-workbench-secrets")
    (entry,) = yaml.safe_load(body["spec"]["parameters"]["objects"])
    assert {item["objectAlias"] for item in entry["jmesPath"]} == {
        "dev.lic", "admin_token", "user_token", "dev-db-password", "dev-chronicle-api-key"}
    assert [(o["secretName"], o["data"]) for o in body["spec"]["secretObjects"]] == [
        ("test-workbench-secret", [{"key": "dev-db-password", "objectName": "dev-db-password"}])]


def test_kubernetes_secrets_render_no_secret_provider_class() -> None:
    spec = ConnectSpec.model_validate(reference_spec("Connect"))
    assert product_secrets("connect", spec, SITE) is None


# --- pure pieces -----------------------------------------------------------------------------------------------
def test_region_is_aws_region_then_aws_default_region_then_us_east_2() -> None:
    assert aws_region({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}) == "eu-west-1"
    assert aws_region({"AWS_DEFAULT_REGION": "us-west-2"}) == "us-west-2"
    assert aws_region({"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}) == "us-east-2"
    assert aws_region({}) == "us-east-2"


def test_the_objects_parameter_quotes_each_path_and_is_stable() -> None:
    text = objects_parameter("vault", {"b.lic": "b-license", "a": "a-key"})
    assert yaml.safe_load(text) == [{
        "objectName": "vault", "objectType": "secretsmanager", "objectVersionLabel": "AWSCURRENT",
        "jmesPath": [{"objectAlias": "a", "path": '"a-key"'}, {"objectAlias": "b.lic", "path": '"b-license"'}],
    }]
    assert text == objects_parameter("vault", {"a": "a-key", "b.lic": "b-license"})


def test_an_object_without_aliases_has_no_jmes_path() -> None:
    assert "jmesPath" not in yaml.safe_load(objects_parameter("vault", {}))[0]


def test_the_region_of_the_operators_environment_reaches_the_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    body = rendered("connect", aws_spec("connect")).get("SecretProviderClass", "test-connect-secrets")
    assert body["spec"]["parameters"]["region"] == "ap-southeast-2"


def test_admin_login_secrets_are_read_from_a_kubernetes_name_made_of_the_vault_name() -> None:
    assert synced_secret_name("rds!db-1a2b3c") == "rds-db-1a2b3c"
    assert synced_secret_name("Orbit/Workload.posit.team") == "orbit-workload.posit.team"


# --- Connect's content sessions ----------------------------------------------------------------------------------
def session_pod(result: Rendered) -> dict[str, Any]:
    text = result.files["rstudio-library-templates-data.tpl"]
    data: dict[str, Any] = json.loads(text.splitlines()[1])
    pod: dict[str, Any] = data["pod"]
    return pod


def test_connect_sessions_get_the_reference_site_session_class() -> None:
    result = rendered("connect", aws_spec("connect"))
    name = f"{SITE}-connect-site-session"
    assert comparable(result.get("SecretProviderClass", name)) == comparable(expected(name))


def test_session_secrets_are_read_from_the_synced_secret_and_the_dsn_from_the_mount() -> None:
    pod = session_pod(rendered("connect", aws_spec("connect")))
    want = yaml.safe_load((EXPECTED / "sessions.yaml").read_text())["connect"]
    assert pod["env"] == want["env"]
    assert [v for v in pod["volumes"] if "csi" in v] == want["volumes"]
    for mount in want["mounts"]:
        assert mount in pod["volumeMounts"]
    assert "secret://" not in json.dumps(pod)


def test_sessions_without_site_session_secrets_or_a_dsn_get_no_class() -> None:
    spec = ConnectSpec.model_validate({**aws_spec("connect").to_dict(), "dsnSecret": None, "sessionConfig": None})
    result = rendered("connect", spec)
    assert result.find("SecretProviderClass", f"{SITE}-connect-site-session") is None


def test_an_azure_databricks_client_secret_that_only_aws_holds_is_reported() -> None:
    site = databricks_site()
    site["secret"] = {"type": "aws", "vaultName": VAULT}
    result = rendered("workbench", spec_from_site(site))
    assert any("dev-client-secret-azure-client" in warning for warning in result.warnings)
    assert "dev-client-secret-aws-client" not in " ".join(result.warnings)
