"""Connect rendering: behaviour beyond the golden files."""

from __future__ import annotations

from typing import Any

from cases import AGENT, CONNECT_KEYS, OIDC_AUTH, context, full_connect, minimal_connect, reference_spec

from teamop.api.v1beta1 import ConnectSpec
from teamop.products import connect
from teamop.products.context import RenderContext, SecretKeyRef
from teamop.products.rendered import Rendered
from teamop.products.workload import config_hash_annotation


def render(spec: dict[str, Any], ctx: RenderContext | None = None) -> Rendered:
    return connect.render(ConnectSpec.model_validate(spec), ctx or context("connect", *CONNECT_KEYS))


def pod_spec(rendered: Rendered) -> dict[str, Any]:
    spec: dict[str, Any] = rendered.get("Deployment", "test-connect")["spec"]["template"]["spec"]
    return spec


def server(rendered: Rendered) -> dict[str, Any]:
    container: dict[str, Any] = pod_spec(rendered)["containers"][0]
    return container


def env_names(rendered: Rendered) -> list[str]:
    return [entry["name"] for entry in server(rendered)["env"]]


def config_hash_of(rendered: Rendered) -> str:
    annotations = rendered.get("Deployment", "test-connect")["spec"]["template"]["metadata"]["annotations"]
    value: str = annotations[config_hash_annotation("connect")]
    return value


def test_the_gcfg_has_the_address_listen_port_and_database_urls_without_a_password() -> None:
    gcfg = render(minimal_connect()).files["rstudio-connect.gcfg"]
    assert "Address = https://connect.example.test" in gcfg
    assert "Listen = :3939" in gcfg
    assert "URL = postgres://test_connect@postgres.example.test:5432/test_connect?options=-csearch_path=connect" in gcfg
    assert "options=-csearch_path=instrumentation" in gcfg
    assert "Password" not in gcfg


def test_no_secret_value_is_in_a_config_map_or_an_env_value() -> None:
    spec = {**full_connect(), "license": {"type": "KEY", "key": "LICENSE-KEY-VALUE"}}
    rendered = render(spec, context("connect", *CONNECT_KEYS, "pub-client-secret", "pub-smtp-password"))
    for config_map in rendered.of_kind("ConfigMap"):
        text = str(config_map["data"])
        assert "LICENSE-KEY-VALUE" not in text
        assert "ClientSecret" not in text
        assert "Password" not in text
    for entry in server(rendered)["env"]:
        if any(word in entry["name"] for word in ("PASSWORD", "SECRET", "KEY", "LICENSE")) and "value" in entry:
            assert entry["name"].endswith("_FILE_PATH")
    assert "LICENSE-KEY-VALUE" not in str(rendered.get("Deployment", "test-connect"))


def test_database_passwords_come_from_the_database_secret() -> None:
    env = {entry["name"]: entry for entry in server(render(minimal_connect()))["env"]}
    reference = {"secretKeyRef": {"name": "test", "key": "pub-db-password"}}
    assert env["CONNECT_POSTGRES_PASSWORD"]["valueFrom"] == reference
    assert env["CONNECT_POSTGRES_INSTRUMENTATIONPASSWORD"]["valueFrom"] == reference


def test_a_change_of_auth_changes_the_config_hash() -> None:
    assert config_hash_of(render(minimal_connect())) != config_hash_of(render({**minimal_connect(), "auth": OIDC_AUTH}))


def test_a_change_of_replicas_does_not_change_the_pod_template() -> None:
    one = render({**minimal_connect(), "replicas": 1}).get("Deployment", "test-connect")["spec"]["template"]
    three = render({**minimal_connect(), "replicas": 3}).get("Deployment", "test-connect")["spec"]["template"]
    assert one == three


def test_a_pod_disruption_budget_only_with_more_than_one_replica() -> None:
    assert render({**minimal_connect(), "replicas": 1}).of_kind("PodDisruptionBudget") == []
    assert len(render({**minimal_connect(), "replicas": 2}).of_kind("PodDisruptionBudget")) == 1


def test_no_volume_still_renders_the_data_claim_and_mounts_it() -> None:
    rendered = render(minimal_connect())
    claim = rendered.get("PersistentVolumeClaim", "test-connect")
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert {"name": "data-dir-volume", "persistentVolumeClaim": {"claimName": "test-connect"}} in pod_spec(rendered)[
        "volumes"
    ]


def test_the_secret_key_is_mounted_from_where_the_context_points() -> None:
    ctx = context("connect", "pub-db-password")
    ctx = RenderContext(site=ctx.site, namespace=ctx.namespace, database=ctx.database,
                        secrets={**ctx.secrets, "pub-secret-key": SecretKeyRef("test-connect-generated",
                                                                               "pub-secret-key")})
    volumes = {volume["name"]: volume for volume in pod_spec(render(minimal_connect(), ctx))["volumes"]}
    assert volumes["key-volume"]["secret"] == {
        "secretName": "test-connect-generated", "items": [{"key": "pub-secret-key", "path": "secret.key"}],
        "defaultMode": 384,
    }


def test_empty_and_none_auth_mean_password_connects_default_provider() -> None:
    for auth in ({}, {"type": ""}, {"type": "none"}, {"type": "password"}):
        gcfg = render({**minimal_connect(), "auth": auth}).files["rstudio-connect.gcfg"]
        assert "[Authentication]" not in gcfg, auth
        assert "[OAuth2]" not in gcfg, auth
        assert "[SAML]" not in gcfg, auth


def test_oidc_takes_the_client_secret_from_the_site_secret_by_environment() -> None:
    rendered = render({**minimal_connect(), "auth": OIDC_AUTH}, context("connect", *CONNECT_KEYS, "pub-client-secret"))
    env = {entry["name"]: entry for entry in server(rendered)["env"]}
    assert env["CONNECT_OAUTH2_CLIENTSECRET"]["valueFrom"] == {
        "secretKeyRef": {"name": "test", "key": "pub-client-secret"}
    }
    assert "Provider = oauth2" in rendered.files["rstudio-connect.gcfg"]


def test_oidc_without_a_client_secret_leaves_the_variable_out() -> None:
    assert "CONNECT_OAUTH2_CLIENTSECRET" not in env_names(render({**minimal_connect(), "auth": OIDC_AUTH}))


def test_saml_writes_the_metadata_url_and_attribute_names() -> None:
    gcfg = render({**minimal_connect(), "auth": {
        "type": "saml", "samlMetadataUrl": "https://idp/metadata", "samlUsernameAttribute": "uid",
    }}).files["rstudio-connect.gcfg"]
    assert "[Authentication]\nProvider = saml\n" in gcfg
    assert "IdPMetaDataURL = https://idp/metadata\nUsernameAttribute = uid\n" in gcfg


def test_off_host_execution_binds_the_launcher_role_to_the_server_service_account() -> None:
    rendered = render(reference_spec("Connect"))
    binding = rendered.get("RoleBinding", "test-connect")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "test-connect", "namespace": "posit-team"}]
    assert binding["roleRef"]["name"] == "test-connect"
    assert rendered.find("ServiceAccount", "test-connect-session") is not None
    assert pod_spec(rendered)["serviceAccountName"] == "test-connect"


def test_without_off_host_execution_there_is_no_launcher_rbac_and_content_runs_privileged() -> None:
    rendered = render(minimal_connect())
    assert rendered.of_kind("Role") == []
    assert rendered.of_kind("RoleBinding") == []
    assert rendered.find("ConfigMap", "test-connect-templates") is None
    assert "[Launcher]" not in rendered.files["rstudio-connect.gcfg"]
    assert server(rendered)["securityContext"]["privileged"] is True


def test_the_chronicle_agent_runs_beside_the_server_when_the_context_has_one() -> None:
    containers = pod_spec(render(minimal_connect(), context("connect", *CONNECT_KEYS, chronicle=AGENT)))[
        "containers"
    ]
    assert [container["name"] for container in containers] == ["connect", "chronicle-agent"]
    assert containers[1]["image"] == AGENT.image
    assert len(pod_spec(render(minimal_connect()))["containers"]) == 1


def test_the_agent_gets_the_product_api_key_only_when_the_spec_enables_it() -> None:
    ctx = context("connect", *CONNECT_KEYS, "pub-chronicle-api-key", chronicle=AGENT)
    enabled = pod_spec(render({**minimal_connect(), "chronicleSidecarProductApiKeyEnabled": True}, ctx))
    disabled = pod_spec(render(minimal_connect(), ctx))
    assert "CHRONICLE_CONNECT_APIKEY" in [entry["name"] for entry in enabled["containers"][1]["env"]]
    assert "CHRONICLE_CONNECT_APIKEY" not in [entry["name"] for entry in disabled["containers"][1]["env"]]


def test_secret_needs_name_the_keys_the_render_uses() -> None:
    needs = {need.key: need for need in connect.secret_needs(ConnectSpec.model_validate(full_connect()))}
    assert needs["pub-db-password"].generate
    assert needs["pub-secret-key"].kind == "hex-key"
    assert not needs["pub-client-secret"].generate
    assert not needs["pub-chronicle-api-key"].generate
    assert not needs["pub-smtp-password"].generate


def test_add_env_is_in_the_server_environment() -> None:
    assert {"name": "EXTRA", "value": "1"} in server(render({**minimal_connect(), "addEnv": {"EXTRA": "1"}}))["env"]


def test_the_ingress_routes_the_url_to_the_http_port_with_the_sites_class_and_annotations() -> None:
    rendered = render({**minimal_connect(), "ingressClass": "nginx", "ingressAnnotations": {"a": "b"}})
    ingress = rendered.get("Ingress", "test-connect")
    assert ingress["metadata"]["annotations"] == {
        "a": "b", "traefik.ingress.kubernetes.io/router.middlewares": "posit-team-test-connect-forward@kubernetescrd"}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    rule = ingress["spec"]["rules"][0]
    assert rule["host"] == "connect.example.test"
    assert rule["http"]["paths"][0] == {
        "path": "/", "pathType": "Prefix", "backend": {"service": {"name": "test-connect", "port": {"name": "http"}}},
    }
