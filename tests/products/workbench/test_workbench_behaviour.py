"""What Workbench rendering promises, stated as tests."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from workbench_cases import (
    GENERATED,
    SITE_SECRET,
    cases,
    context_for,
    oidc_site,
    reference_workbench_spec,
    render_case,
    saml_site,
    spec_from_site,
)

from teamop.api.v1beta1 import workbench_config
from teamop.products.workbench import (
    MissingSecretValue,
    WorkbenchSpecError,
    fill_secret_template,
    layouts,
    render,
    secret_needs,
)
from teamop.products.workbench.render import WorkbenchRendered


def config_map_texts(rendered: WorkbenchRendered) -> dict[str, str]:
    return {
        f"{obj['metadata']['name']}/{key}": text
        for obj in rendered.of_kind("ConfigMap")
        for key, text in obj["data"].items()
    }


def server_container(rendered: WorkbenchRendered) -> dict[str, Any]:
    container: dict[str, Any] = rendered.get("Deployment", "test-workbench")["spec"]["template"]["spec"]["containers"][
        0
    ]
    return container


def pod_hash(rendered: WorkbenchRendered) -> str:
    annotations = rendered.get("Deployment", "test-workbench")["spec"]["template"]["metadata"]["annotations"]
    return str(annotations["workbench.posit.team/configmap-sha"])


def template_data(rendered: WorkbenchRendered) -> dict[str, Any]:
    text = rendered.get("ConfigMap", "test-workbench-templates")["data"]["rstudio-library-templates-data.tpl"]
    data: dict[str, Any] = json.loads(text.splitlines()[1])
    return data


def rserver(rendered: WorkbenchRendered) -> dict[str, str]:
    text = rendered.get("ConfigMap", "test-workbench")["data"]["rserver.conf"]
    return dict(line.split("=", 1) for line in text.splitlines() if line)


# --- secrets stay out of ConfigMaps and pod specs ---------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(cases()))
def test_no_password_or_secret_value_in_any_config_map(case: str) -> None:
    rendered = render_case(case)
    for name, text in config_map_texts(rendered).items():
        for line in text.splitlines():
            key = line.split("=", 1)[0].strip().lower()
            assert key not in {"password", "client-secret"}, f"{name} carries {key}"
    assert "database.conf" not in {key for obj in rendered.of_kind("ConfigMap") for key in obj["data"]}


@pytest.mark.parametrize("case", sorted(cases()))
def test_database_conf_is_a_secret_without_password_and_the_password_comes_by_reference(case: str) -> None:
    rendered = render_case(case)
    database_conf = base64.b64decode(rendered.get("Secret", "test-workbench-config")["data"]["database.conf"]).decode()
    assert database_conf.splitlines() == [
        "provider=postgresql",
        "database=test_workbench",
        "port=5432",
        "host=postgres.example.test",
        "username=test_workbench",
    ]
    env = {entry["name"]: entry for entry in server_container(rendered)["env"]}
    assert env["WORKBENCH_POSTGRES_PASSWORD"] == {
        "name": "WORKBENCH_POSTGRES_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": SITE_SECRET, "key": "dev-db-password"}},
    }


@pytest.mark.parametrize("case", sorted(cases()))
def test_secret_like_env_vars_are_only_references(case: str) -> None:
    secret_like = ("PASSW", "SECRET", "APIKEY", "RSW_LICENSE")
    for entry in server_container(render_case(case))["env"]:
        if any(word in entry["name"] for word in secret_like) and entry["name"] != "RSW_LICENSE_FILE_PATH":
            assert "value" not in entry, entry["name"]
            assert "secretKeyRef" in entry["valueFrom"], entry["name"]


def test_oidc_client_secret_is_a_placeholder_the_controller_fills() -> None:
    rendered = render_case("oidc")
    (template,) = rendered.secret_templates
    assert template.secret_name == "test-workbench-config"
    assert {key: (ref.name, ref.key) for key, ref in template.refs.items()} == {
        "dev-client-secret": (SITE_SECRET, "dev-client-secret")
    }
    body = rendered.get("Secret", "test-workbench-config")
    filled = fill_secret_template(body, {"dev-client-secret": "s3cr3t"})
    text = base64.b64decode(filled["data"]["openid-client-secret"]).decode()
    assert text == "client-id=workbench\nclient-secret=s3cr3t\n"
    assert "s3cr3t" not in json.dumps(body)  # the rendered body itself is untouched
    with pytest.raises(MissingSecretValue, match="dev-client-secret"):
        fill_secret_template(body, {})


def test_an_oidc_client_secret_missing_from_the_site_secret_is_left_out_not_invented() -> None:
    spec = cases()["oidc"][0]
    rendered = render(spec, context_for(spec, site_keys=("dev-db-password",)))
    assert rendered.secret_templates == []
    text = base64.b64decode(rendered.get("Secret", "test-workbench-config")["data"]["openid-client-secret"]).decode()
    assert text == "client-id=workbench\n"
    assert {need.key for need in secret_needs(spec) if not need.generate} == {
        "dev-client-secret",
        "dev-chronicle-api-key",
    }


def test_password_sign_in_has_no_secret_template() -> None:
    assert render_case("reference").secret_templates == []


# --- config hash ---------------------------------------------------------------------------------------------------


def test_changing_admin_groups_rolls_the_server_pods_and_changing_replicas_does_not() -> None:
    site = oidc_site()
    before = render(*_with_context(spec_from_site(site)))
    site["workbench"]["adminGroups"] = ["someone-else"]
    after_groups = render(*_with_context(spec_from_site(site)))
    site = oidc_site()
    site["workbench"]["replicas"] = 5
    after_replicas = render(*_with_context(spec_from_site(site)))

    assert rserver(after_groups)["admin-group"] == "someone-else"
    assert pod_hash(after_groups) != pod_hash(before)
    assert after_replicas.get("Deployment", "test-workbench")["spec"]["replicas"] == 5
    assert pod_hash(after_replicas) == pod_hash(before)


def _with_context(spec: Any) -> tuple[Any, Any]:
    return spec, context_for(spec, site_keys=("dev-db-password", "dev-client-secret"))


# --- RBAC ---------------------------------------------------------------------------------------------------------


def test_launcher_role_grants_exactly_the_reference_rules_bound_to_the_server_account() -> None:
    from workbench_cases import reference_object

    rendered = render_case("reference")
    role = rendered.get("Role", "test-workbench")
    assert role["rules"] == reference_object("Role", "test-workbench")["rules"]
    granted = {
        (group, resource) for rule in role["rules"] for group in rule["apiGroups"] for resource in rule["resources"]
    }
    assert ("", "secrets") not in granted
    assert ("", "configmaps") not in granted
    verbs = {verb for rule in role["rules"] for verb in rule["verbs"]}
    assert "*" not in verbs
    assert "escalate" not in verbs
    assert "bind" not in verbs
    binding = rendered.get("RoleBinding", "test-workbench")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "test-workbench"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "test-workbench", "namespace": "posit-team"}]
    assert rendered.of_kind("ClusterRole") == []
    assert rendered.of_kind("ClusterRoleBinding") == []


def test_sessions_run_as_the_session_account_which_has_no_role() -> None:
    rendered = render_case("reference")
    assert template_data(rendered)["pod"]["serviceAccountName"] == "test-workbench-session"
    assert rendered.get("ServiceAccount", "test-workbench-session")
    subjects = [s["name"] for b in rendered.of_kind("RoleBinding") for s in b["subjects"]]
    assert "test-workbench-session" not in subjects


def test_sessions_are_privileged_only_when_asked() -> None:
    assert template_data(render_case("saml"))["pod"]["containerSecurityContext"] == {"privileged": True}
    for case in ("reference", "minimal", "oidc", "databricks"):
        assert "privileged" not in template_data(render_case(case))["pod"]["containerSecurityContext"], case


# --- configuration ------------------------------------------------------------------------------------------------


def test_admin_groups_default_and_user_provisioning() -> None:
    minimal = rserver(render_case("minimal"))
    assert minimal["admin-group"] == "workbench-admin"
    assert "admin-superuser-group" not in minimal
    assert minimal["user-provisioning-enabled"] == "1"
    assert minimal["user-provisioning-register-on-first-login"] == "0"
    oidc = rserver(render_case("oidc"))
    assert oidc["admin-group"] == "wb-admins,platform"
    assert oidc["admin-superuser-group"] == "platform"
    assert oidc["user-provisioning-register-on-first-login"] == "1"


def test_user_provisioning_is_on_even_when_the_cr_turns_it_off() -> None:
    spec = reference_workbench_spec()
    assert spec.config
    assert spec.config.workbench_ini_config
    assert spec.config.workbench_ini_config.rserver_conf
    spec.config.workbench_ini_config.rserver_conf.user_provisioning_enabled = 0
    assert rserver(render(spec, context_for(spec)))["user-provisioning-enabled"] == "1"


@pytest.mark.parametrize(
    ("auth", "openid", "saml"),
    [(None, "0", "0"), ({"type": ""}, "0", "0"), ({"type": "none"}, "0", "0"), ({"type": "password"}, "0", "0")],
)
def test_empty_and_none_auth_mean_password(auth: dict[str, str] | None, openid: str, saml: str) -> None:
    spec = reference_workbench_spec()
    spec.auth = None if auth is None else spec.auth.model_validate(auth) if spec.auth else None
    values = rserver(render(spec, context_for(spec)))
    assert (values["auth-openid"], values["auth-saml"]) == (openid, saml)
    assert secret_needs(spec) == secret_needs(reference_workbench_spec())


def test_saml_sign_in() -> None:
    values = rserver(render_case("saml"))
    assert values["auth-saml"] == "1"
    assert values["auth-saml-metadata-url"] == "https://idp.example.test/saml/metadata"
    assert values["auth-saml-sp-attribute-username"] == "uid"
    assert values["auth-openid"] == "0"


def test_saml_without_metadata_url_is_refused_naming_the_field() -> None:
    site = saml_site()
    del site["workbench"]["auth"]["samlMetadataUrl"]
    spec = spec_from_site(site)
    with pytest.raises(WorkbenchSpecError, match="samlMetadataUrl"):
        render(spec, context_for(spec))


def test_resource_profiles_and_request_ratios() -> None:
    data = render_case("oidc").get("ConfigMap", "test-workbench")["data"]
    assert (
        "[gpu]\nname=GPU\ncpus=8\nmem-mb=32768\nnvidia-gpus=1\nplacement-constraints=gpu:true\n"
        in data["launcher.kubernetes.resources.conf"]
    )
    profiles = data["launcher.kubernetes.profiles.conf"]
    assert "cpu-request-ratio=0.5\n" in profiles
    assert "memory-request-ratio=1\n" in profiles
    assert "resource-profiles=default,large,gpu\n" in profiles


def test_twelve_server_files_for_the_reference_and_their_text_is_the_reference_text() -> None:
    from workbench_cases import reference_object

    rendered = render_case("reference")
    for name in ("test-workbench", "test-workbench-session"):
        assert rendered.get("ConfigMap", name)["data"] == reference_object("ConfigMap", name)["data"], name
    assert len(rendered.get("ConfigMap", "test-workbench")["data"]) == 12


def test_every_config_field_of_the_api_has_a_place_in_its_file() -> None:
    """A field the API accepts but the writer has no key for would be dropped silently."""
    pairs = [
        (workbench_config.RServerConf, layouts.RSERVER),
        (workbench_config.LauncherServerSection, layouts.LAUNCHER_SERVER),
        (workbench_config.LauncherClusterSection, layouts.LAUNCHER_CLUSTER),
        (workbench_config.LauncherKubernetesConf, layouts.LAUNCHER_KUBERNETES),
        (workbench_config.LauncherLocalConf, layouts.LAUNCHER_LOCAL),
        (workbench_config.LoggingSection, layouts.LOGGING_SECTION),
        (workbench_config.JupyterConfig, layouts.JUPYTER),
        (workbench_config.VSCodeConf, layouts.VSCODE),
        (workbench_config.ResourceProfile, layouts.RESOURCE_PROFILE),
        (workbench_config.KubernetesProfile, layouts.KUBERNETES_PROFILE),
        (workbench_config.RSessionConf, layouts.RSESSION),
        (workbench_config.ReposConf, layouts.REPOS),
        (workbench_config.WorkbenchNssConf, layouts.WORKBENCH_NSS),
        (workbench_config.PositronConf, layouts.POSITRON),
        (workbench_config.DatabaseConf, layouts.DATABASE),
        (workbench_config.OpenIdClientSecret, layouts.OPENID_CLIENT_SECRET),
        (workbench_config.DatabricksIniSection, layouts.DATABRICKS_WORKSPACE),
        (workbench_config.SupervisordProgram, layouts.SUPERVISORD_PROGRAM),
    ]
    for model, layout in pairs:
        aliases = {field.alias or name for name, field in model.model_fields.items()}
        assert aliases == {key.name for key in layout}, model.__name__


# --- secrets the controller resolves -------------------------------------------------------------------------------


def test_a_workbench_that_names_no_licence_takes_dev_license_from_the_site_secret() -> None:
    spec = cases()["minimal"][0]
    assert spec.license is None
    assert "dev-license" in {need.key for need in secret_needs(spec) if not need.generate}  # what the controller reads

    rendered = render(spec, context_for(spec, site_keys=("dev-db-password", "dev-license")))

    pod = rendered.get("Deployment", "test-workbench")["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["license-volume"]["secret"]["secretName"] == SITE_SECRET
    mounts = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "license-volume"]
    assert mounts == [{"name": "license-volume", "mountPath": "/etc/rstudio-server/license.lic",
                       "subPath": "dev-license", "readOnly": True}]
    assert {"name": "RSW_LICENSE_FILE_PATH", "value": "/etc/rstudio-server/license.lic"} in pod["containers"][0]["env"]
    assert not rendered.license_missing


def test_a_workbench_that_names_its_licence_secret_does_not_read_dev_license() -> None:
    assert "dev-license" not in {need.key for need in secret_needs(reference_workbench_spec())}


def test_secret_needs() -> None:
    reference = {(need.key, need.kind) for need in secret_needs(reference_workbench_spec())}
    assert reference == {
        ("dev-secure-cookie-key", "hex-key"),
        ("dev-launcher-pem", "rsa-private-key"),
        ("dev-testuser-password", "password"),
        ("dev-db-password", "password"),
    }
    oidc = {need.key for need in secret_needs(cases()["oidc"][0])}
    assert {"dev-client-secret", "dev-chronicle-api-key"} <= oidc
    databricks = {need.key for need in secret_needs(cases()["databricks"][0])}
    assert {"snowflake-client-secret", "dev-client-secret-azure-client"} <= databricks
    assert "dev-client-secret" not in databricks
    assert "dev-client-secret-aws-client" not in databricks


def test_cookie_and_launcher_keys_are_mounted_owner_only_beside_each_other() -> None:
    volumes = {
        v["name"]: v
        for v in render_case("reference").get("Deployment", "test-workbench")["spec"]["template"]["spec"]["volumes"]
    }
    assert volumes["key-volume"]["secret"] == {
        "secretName": GENERATED,
        "defaultMode": 384,
        "items": [
            {"key": "dev-secure-cookie-key", "path": "secure-cookie-key", "mode": 384},
            {"key": "dev-launcher-pem", "path": "launcher.pem", "mode": 384},
            {"key": "dev-launcher-pem.pub", "path": "launcher.pub", "mode": 384},
        ],
    }


# --- volumes ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(cases()))
def test_home_and_shared_storage_are_mounted_in_the_server_and_every_session(case: str) -> None:
    rendered = render_case(case)
    home = rendered.get("PersistentVolumeClaim", "test-workbench")
    assert home["spec"]["accessModes"] == ["ReadWriteMany"]
    shared = rendered.get("PersistentVolumeClaim", "test-workbench-shared-storage")
    assert shared["spec"]["accessModes"] == ["ReadWriteMany"]
    pod = rendered.get("Deployment", "test-workbench")["spec"]["template"]["spec"]
    session = template_data(rendered)["pod"]
    for volumes, mounts in (
        (pod["volumes"], server_container(rendered)["volumeMounts"]),
        (session["volumes"], session["volumeMounts"]),
    ):
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v}
        paths = {m["mountPath"]: m["name"] for m in mounts}
        assert claims[paths["/home"]] == "test-workbench"
        assert claims[paths["/mnt/shared-storage"]] == "test-workbench-shared-storage"


def test_additional_volumes_and_the_site_shared_directory_reach_server_and_sessions() -> None:
    rendered = render_case("oidc")
    session = template_data(rendered)["pod"]
    for mounts in (server_container(rendered)["volumeMounts"], session["volumeMounts"]):
        paths = {m["mountPath"]: m for m in mounts}
        assert paths["/mnt/datasets"] == {"name": "test-datasets", "mountPath": "/mnt/datasets", "readOnly": True}
        assert paths["/mnt/team"]["name"] == "test-shared"
    datasets = rendered.get("PersistentVolumeClaim", "test-datasets")
    assert datasets["spec"]["resources"]["requests"]["storage"] == "100Gi"
    assert rendered.find("PersistentVolumeClaim", "test-shared") is None  # the Site's, not Workbench's


def test_session_tolerations_image_and_init_container() -> None:
    rendered = render_case("oidc")
    pod = template_data(rendered)["pod"]
    assert pod["tolerations"] == [{"key": "sessions", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}]
    assert pod["env"] == [{"name": "PIP_INDEX_URL", "value": "https://packages.example.test/pypi/latest/simple"}]
    server_pod = rendered.get("Deployment", "test-workbench")["spec"]["template"]["spec"]
    assert server_pod["tolerations"] == [{"key": "workbench", "operator": "Exists", "effect": "NoSchedule"}]
    values = rserver(rendered)
    assert values["launcher-sessions-init-container-image-name"] == "ghcr.io/rstudio/workbench-session-init"


def test_pod_disruption_budget_only_with_more_than_one_replica() -> None:
    assert render_case("reference").find("PodDisruptionBudget", "test-workbench") is None
    pdb = render_case("oidc").get("PodDisruptionBudget", "test-workbench")
    assert pdb["spec"]["minAvailable"] == 1


def test_chronicle_sidecar_reads_the_audit_logs_with_the_product_api_key() -> None:
    pod = render_case("oidc").get("Deployment", "test-workbench")["spec"]["template"]["spec"]
    sidecar = pod["containers"][1]
    assert sidecar["name"] == "chronicle-agent"
    assert {"name": "chronicle-logs", "mountPath": "/var/lib/rstudio-server/audit", "readOnly": True} in sidecar[
        "volumeMounts"
    ]
    env = {e["name"]: e for e in sidecar["env"]}
    assert env["CHRONICLE_WORKBENCH_APIKEY"]["valueFrom"]["secretKeyRef"]["key"] == "dev-chronicle-api-key"
    assert (
        len(render_case("reference").get("Deployment", "test-workbench")["spec"]["template"]["spec"]["containers"]) == 1
    )
