"""Package Manager rendering: behaviour beyond the golden files."""

from __future__ import annotations

from typing import Any

from cases import PACKAGE_MANAGER_KEYS, context, full_packagemanager, minimal_packagemanager

from teamop.api.v1beta1 import PackageManagerSpec
from teamop.products import packagemanager
from teamop.products.rendered import Rendered


def render(spec: dict[str, Any]) -> Rendered:
    return packagemanager.render(PackageManagerSpec.model_validate(spec), context("packagemanager",
                                                                                   *PACKAGE_MANAGER_KEYS))


def pod_spec(rendered: Rendered) -> dict[str, Any]:
    spec: dict[str, Any] = rendered.get("Deployment", "test-packagemanager")["spec"]["template"]["spec"]
    return spec


def env_of(rendered: Rendered) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in pod_spec(rendered)["containers"][0]["env"]}


def test_the_gcfg_has_the_address_port_and_both_database_urls() -> None:
    gcfg = render(minimal_packagemanager()).files["rstudio-pm.gcfg"]
    assert "Address = https://packages.example.test" in gcfg
    assert "Listen = :4242" in gcfg
    url = "postgres://test_packagemanager@postgres.example.test:5432/test_packagemanager?options=-csearch_path=pm&"
    assert f"URL = {url}" in gcfg
    assert "UsageDataURL = postgres://test_packagemanager@" in gcfg
    assert "search_path=metrics" in gcfg


def test_the_server_container_is_rspm_and_probes_ping() -> None:
    container = pod_spec(render(minimal_packagemanager()))["containers"][0]
    assert container["name"] == "rspm"
    assert container["readinessProbe"]["httpGet"]["path"] == "/__ping__"


def test_passwords_and_the_encryption_key_come_from_secrets() -> None:
    env = env_of(render(minimal_packagemanager()))
    for name, key in (
        ("PACKAGEMANAGER_POSTGRES_PASSWORD", "pkg-db-password"),
        ("PACKAGEMANAGER_POSTGRES_USAGEDATAPASSWORD", "pkg-db-password"),
        ("PACKAGEMANAGER_SECRET_KEY", "pkg-secret-key"),
    ):
        assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": "test", "key": key}}}


def test_an_s3_bucket_stores_packages_in_s3_and_needs_no_claim() -> None:
    rendered = render(full_packagemanager())
    assert "[Storage]\nDefault = s3\n" in rendered.files["rstudio-pm.gcfg"]
    assert "[S3Storage]\nBucket = example-packages\nRegion = us-east-2\n" in rendered.files["rstudio-pm.gcfg"]
    assert rendered.of_kind("PersistentVolumeClaim") == []


def test_without_s3_the_data_directory_is_on_a_claim() -> None:
    rendered = render(minimal_packagemanager())
    assert rendered.find("PersistentVolumeClaim", "test-packagemanager") is not None
    assert {"name": "data-volume", "mountPath": "/var/lib/rstudio-pm"} in pod_spec(rendered)["containers"][0][
        "volumeMounts"
    ]


def test_azure_files_claims_a_shared_volume_of_the_named_class_under_the_references_name() -> None:
    spec = {**minimal_packagemanager(), "azureFiles": {"storageClassName": "azurefile-csi", "shareSizeGiB": 200}}
    claim = render(spec).get("PersistentVolumeClaim", "test-packagemanager-azure-files")["spec"]
    assert claim["storageClassName"] == "azurefile-csi"
    assert claim["accessModes"] == ["ReadWriteMany"]
    assert claim["resources"]["requests"]["storage"] == "200Gi"


def test_git_ssh_keys_are_mounted_with_an_ssh_config_per_host() -> None:
    rendered = render(full_packagemanager())
    ssh_config = rendered.files["ssh_config"]
    assert "Host github.com\n" in ssh_config
    assert "IdentityFile /etc/rstudio-pm/ssh-keys/github\n" in ssh_config
    assert "Host gitlab.example.test\n" in ssh_config
    mounts = pod_spec(rendered)["containers"][0]["volumeMounts"]
    assert {"name": "ssh-key-github", "mountPath": "/etc/rstudio-pm/ssh-keys/github", "subPath": "github",
            "readOnly": True} in mounts
    assert env_of(rendered)["GIT_SSH_COMMAND"]["value"] == "ssh -F /etc/rstudio-pm/ssh/config"


def test_an_ssh_key_in_another_secret_store_is_left_out_with_a_warning() -> None:
    rendered = render(full_packagemanager())
    assert "git.example.test" not in rendered.files["ssh_config"]
    assert any("vault" in warning for warning in rendered.warnings)


def test_a_pod_disruption_budget_only_with_more_than_one_replica() -> None:
    assert render(minimal_packagemanager()).of_kind("PodDisruptionBudget") == []
    assert len(render(full_packagemanager()).of_kind("PodDisruptionBudget")) == 1


def test_secret_needs_are_the_database_password_and_the_encryption_key() -> None:
    spec = PackageManagerSpec.model_validate({**minimal_packagemanager(), "license": {
        "type": "FILE", "existingSecretName": "license", "existingSecretKey": "ppm.lic"}})
    assert [(need.key, need.kind) for need in packagemanager.secret_needs(spec)] == [
        ("pkg-db-password", "password"), ("pkg-secret-key", "hex-key"),
    ]
