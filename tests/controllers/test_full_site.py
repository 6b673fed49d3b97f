"""A whole Site with every controller running, against the real API server (kwok runs the pods) and a real
PostgreSQL: what a user sees with kubectl."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import pytest
from sites import apply, condition, get, go_operator_secrets, sample_site, secret

from teamop.controllers.registry import setup_operator
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory, RunningOperator
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]


@pytest.fixture
def name() -> str:
    return f"f{uuid.uuid4().hex[:6]}"


def site_ready(plane: ControlPlane, name: str, namespace: str) -> dict[str, Any] | None:
    site = get(plane, "site", name, namespace)
    return site if site and (site.get("status") or {}).get("ready") is True else None


async def converge(plane: ControlPlane, namespace: str, name: str, operator: OperatorFactory,
                   postgres: PostgresServer, site: dict[str, Any] | None = None,
                   site_keys: dict[str, str] | None = None, timeout: float = 150) -> RunningOperator:
    apply(plane, *go_operator_secrets(name, namespace, postgres, site_keys))
    apply(plane, site or sample_site(name, namespace))
    running = await operator([setup_operator], namespaces=namespace)
    try:
        await until(lambda: site_ready(plane, name, namespace), timeout=timeout, what="the Site to be Ready")
    except AssertionError:
        status = (get(plane, "site", name, namespace) or {}).get("status")
        raise AssertionError(f"Site not Ready; status: {json.dumps(status, indent=1)}") from None
    return running


async def fetch(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn, ssl="disable")
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def test_a_full_site_converges_to_ready_with_its_databases(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converge(controlplane, namespace, name, operator, postgres)

    site = get(controlplane, "site", name, namespace)
    assert site is not None
    assert condition(site, "Ready")["reason"] == "AllProductsReady"
    products = site["status"]["products"]
    assert all(p["ready"] for p in products.values())
    assert products["connect"]["readyReplicas"] == 1
    databases = await fetch(postgres.dsn, "SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database "
                                          "WHERE datname LIKE $1 ORDER BY datname", f"{name}_%")
    assert [(r["datname"], r["owner"]) for r in databases] == [
        (f"{name}_{c}", f"{name}_{c}") for c in ("connect", "packagemanager", "workbench")]
    schemas = await fetch(postgres.dsn.rsplit("/", 1)[0] + f"/{name}_connect",
                          "SELECT nspname FROM pg_namespace WHERE nspname IN ('connect', 'instrumentation') "
                          "ORDER BY 1")
    assert [r["nspname"] for r in schemas] == ["connect", "instrumentation"]


def pod_template_hash(plane: ControlPlane, name: str, namespace: str, component: str) -> str:
    deployment = get(plane, "deployment", f"{name}-{component}", namespace) or {}
    annotations = deployment["spec"]["template"]["metadata"].get("annotations") or {}
    return next(v for k, v in annotations.items() if k.endswith("configmap-sha"))


def secret_value(plane: ControlPlane, name: str, namespace: str, key: str) -> str | None:
    import base64

    secret = get(plane, "secret", name, namespace) or {}
    value = (secret.get("data") or {}).get(key)
    return base64.b64decode(value).decode() if value else None


async def test_each_product_role_uses_its_own_schema_and_cannot_enter_another_products_database(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converge(controlplane, namespace, name, operator, postgres)
    connect_password = secret_value(controlplane, f"{name}-connect-generated", namespace, "pub-db-password")
    assert connect_password
    base = f"postgresql://{name}_connect:{connect_password}@{postgres.host}:{postgres.port}"

    await fetch(f"{base}/{name}_connect", "CREATE TABLE connect.t (v int)")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await fetch(f"{base}/{name}_workbench", "SELECT 1")


async def test_the_connect_config_has_the_url_and_database_and_no_password(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converge(controlplane, namespace, name, operator, postgres)

    config = (get(controlplane, "configmap", f"{name}-connect", namespace) or {})["data"]["rstudio-connect.gcfg"]
    assert f"Address = https://connect.{name}.example.test" in config
    assert f"postgres://{name}_connect@{postgres.host}:{postgres.port}/{name}_connect" in config
    password = secret_value(controlplane, f"{name}-connect-generated", namespace, "pub-db-password")
    assert password
    assert password not in json.dumps(get(controlplane, "configmap", f"{name}-connect", namespace))


async def test_a_site_without_a_site_secret_converges_and_its_generated_passwords_survive_a_restart(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace)
    site["spec"]["secret"]["vaultName"] = f"{name}-absent"
    first = await converge(controlplane, namespace, name, operator, postgres, site=site)
    before = {c: secret_value(controlplane, f"{name}-{c}-generated", namespace, k) for c, k in
              (("connect", "pub-db-password"), ("connect", "pub-secret-key"), ("packagemanager", "pkg-db-password"),
               ("workbench", "dev-db-password"))}
    assert all(before.values())
    await first.stop()

    restarted = await operator([setup_operator], namespaces=namespace)
    for controller in restarted.manager.controllers:
        controller.enqueue_all()
    await restarted.reconciled_everything()  # the comparison below is about what the restarted operator did
    await until(lambda: site_ready(controlplane, name, namespace), timeout=60)

    after = {c: secret_value(controlplane, f"{name}-{c}-generated", namespace, k) for c, k in
             (("connect", "pub-db-password"), ("connect", "pub-secret-key"), ("packagemanager", "pkg-db-password"),
              ("workbench", "dev-db-password"))}
    assert after == before


async def test_a_key_in_the_site_secret_is_the_one_mounted(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converge(controlplane, namespace, name, operator, postgres,
                   site_keys={"pub-secret-key": "user-provided-key", "pub-db-password": "user-db-password"})

    deployment = get(controlplane, "deployment", f"{name}-connect", namespace) or {}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["key-volume"]["secret"]["secretName"] == name
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CONNECT_POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": name, "key": "pub-db-password"}
    assert secret_value(controlplane, f"{name}-connect-generated", namespace, "pub-secret-key") is None


async def test_a_restarted_operator_makes_no_write_for_a_converged_site(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    first = await converge(controlplane, namespace, name, operator, postgres)
    await first.settled()  # its trailing status updates written: converged
    await first.stop()

    restarted = await operator([setup_operator], namespaces=namespace)
    for controller in restarted.manager.controllers:
        controller.enqueue_all()
    await restarted.reconciled_everything()  # it has done all it would: every object reconciled, nothing queued

    made = restarted.client.requests.snapshot()  # everything it sent since it started
    assert made.writes() == 0, made


async def test_changing_connect_auth_rolls_connect_and_nothing_else(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    running = await converge(controlplane, namespace, name, operator, postgres)
    connect_before = pod_template_hash(controlplane, name, namespace, "connect")
    workbench_before = pod_template_hash(controlplane, name, namespace, "workbench")

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge", "-p", json.dumps(
        {"spec": {"connect": {"auth": {"type": "oidc", "clientId": "connect", "issuer": "https://idp.example"}}}}))

    await until(lambda: pod_template_hash(controlplane, name, namespace, "connect") != connect_before, timeout=60,
                what="a new config hash on Connect's pod template")
    await running.settled()  # every product reconciled after the change, so Workbench had its chance to roll
    assert pod_template_hash(controlplane, name, namespace, "workbench") == workbench_before


async def test_scaling_connect_to_two_adds_a_disruption_budget_and_back_to_one_removes_it(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converge(controlplane, namespace, name, operator, postgres)
    assert get(controlplane, "pdb", f"{name}-connect", namespace) is None

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge", "-p",
                         '{"spec": {"connect": {"replicas": 2}}}')
    await until(lambda: get(controlplane, "pdb", f"{name}-connect", namespace), timeout=60)

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge", "-p",
                         '{"spec": {"connect": {"replicas": 1}}}')
    await until(lambda: get(controlplane, "pdb", f"{name}-connect", namespace) is None, timeout=60)


async def test_connect_without_a_volume_deploys(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace)
    del site["spec"]["connect"]["volume"]
    await converge(controlplane, namespace, name, operator, postgres, site=site)

    claim = get(controlplane, "pvc", f"{name}-connect", namespace) or {}
    assert claim["status"]["phase"] == "Bound"


async def test_a_pod_that_cannot_be_scheduled_turns_its_product_not_ready_with_the_reason(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace)
    site["spec"]["packageManager"]["nodeSelector"] = {"teamop.test/nowhere": "true"}
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, site)
    await operator([setup_operator], namespaces=namespace)

    product = await until(lambda: (p := get(controlplane, "packagemanager", name, namespace)) and
                          "cannot be scheduled" in condition(p, "Ready").get("message", "") and p, timeout=90)
    assert condition(product, "Ready")["status"] == "False"
    assert condition(product, "Degraded")["status"] == "True"
    await until(lambda: "cannot be scheduled" in (get(controlplane, "site", name, namespace) or {})["status"]
                ["products"]["packageManager"].get("message", ""), timeout=30, what="the Site to say why")


async def test_disabling_chronicle_removes_the_agent_sidecars(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace)
    site["spec"]["chronicle"]["agentImage"] = "ghcr.io/rstudio/chronicle-agent:2024.11.0"
    await converge(controlplane, namespace, name, operator, postgres, site=site)

    def containers(component: str) -> list[str]:
        deployment = get(controlplane, "deployment", f"{name}-{component}", namespace) or {}
        return [c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]]

    assert len(containers("connect")) == 2
    assert len(containers("workbench")) == 2

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge", "-p",
                         '{"spec": {"chronicle": {"enabled": false}}}')

    await until(lambda: len(containers("connect")) == 1 and len(containers("workbench")) == 1, timeout=60,
                what="the agent sidecars to be removed")
    assert get(controlplane, "chronicle", name, namespace) is None


async def test_deleting_the_site_removes_everything_and_drops_the_databases_when_asked(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace)
    site["spec"]["dropDatabaseOnTearDown"] = True
    await converge(controlplane, namespace, name, operator, postgres, site=site)

    controlplane.kubectl("delete", "site", name, "-n", namespace, "--wait=false")

    def leftovers() -> list[str]:
        kinds = "deployments,statefulsets,configmaps,services,ingresses,pvc,postgresdatabases,connects,workbenches"
        items = json.loads(controlplane.kubectl("get", kinds, "-n", namespace, "-o", "json").stdout)["items"]
        return [f"{i['kind']}/{i['metadata']['name']}" for i in items if (i["metadata"]["name"].startswith(name)
                and i["kind"] != "ConfigMap") or i["metadata"]["name"].startswith(f"{name}-")]

    await until(lambda: not leftovers(), timeout=90, what="every object of the Site to be deleted")
    databases = await fetch(postgres.dsn, "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{name}_%")
    assert databases == []


async def test_postgres_down_is_reported_on_the_site_nothing_is_deleted_and_it_converges_when_back(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory,
) -> None:
    server = PostgresServer().start()
    try:
        server.stop_server_only()
        apply(controlplane, *go_operator_secrets(name, namespace, server))
        apply(controlplane, sample_site(name, namespace))
        await operator([setup_operator], namespaces=namespace)

        site = await until(lambda: (s := get(controlplane, "site", name, namespace)) and "cannot reach PostgreSQL" in
                           json.dumps((s.get("status") or {}).get("products", {}).get("connect", {})) and s,
                           timeout=90, what="the Site to say the database is unreachable")
        assert server.password not in json.dumps(site)
        assert get(controlplane, "deployment", f"{name}-connect", namespace) is not None

        server.start_again()

        await until(lambda: site_ready(controlplane, name, namespace), timeout=120,
                    what="the Site to converge once PostgreSQL is back")
    finally:
        server.stop()


async def test_a_malformed_database_url_is_named_in_a_condition_and_nothing_running_is_deleted(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converge(controlplane, namespace, name, operator, postgres)

    apply(controlplane, secret(name, namespace, {"main-database-url": "mysql://nowhere"}))

    site = await until(lambda: condition(get(controlplane, "site", name, namespace), "DatabaseConfigured")
                       .get("reason") == "InvalidDatabaseURL" and get(controlplane, "site", name, namespace),
                       timeout=60)
    message = condition(site, "DatabaseConfigured")["message"]
    assert "main-database-url" in message
    assert "spec.workloadSecret" in message
    connect = get(controlplane, "connect", name, namespace) or {}
    assert connect["spec"]["databaseConfig"]["host"] == f"{postgres.host}:{postgres.port}"
    assert get(controlplane, "deployment", f"{name}-connect", namespace) is not None


async def test_removing_workbench_deletes_its_resource_and_database_resource_but_keeps_the_data(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converge(controlplane, namespace, name, operator, postgres)  # the sample does not drop on teardown
    workbench = sample_site(name, namespace)["spec"]["workbench"]

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=json",
                         "-p", '[{"op": "remove", "path": "/spec/workbench"}]')

    await until(lambda: get(controlplane, "workbench", name, namespace) is None
                and get(controlplane, "postgresdatabase", f"{name}-workbench", namespace) is None
                and get(controlplane, "deployment", f"{name}-workbench", namespace) is None, timeout=90,
                what="Workbench, its database resource and its Deployment to be deleted")
    assert get(controlplane, "deployment", f"{name}-connect", namespace) is not None
    kept = await fetch(postgres.dsn, "SELECT datname FROM pg_database WHERE datname = $1", f"{name}_workbench")
    assert len(kept) == 1

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge",
                         "-p", json.dumps({"spec": {"workbench": workbench}}))
    await until(lambda: site_ready(controlplane, name, namespace), timeout=120, what="the Site Ready again")


async def test_a_new_sites_generated_keys_cost_no_read_of_a_secret_that_does_not_exist(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    running = await converge(controlplane, namespace, name, operator, postgres)  # the sample keeps no key of its own
    await running.settled()

    assert secret_value(controlplane, f"{name}-connect-generated", namespace, "pub-secret-key")
    missing = {request: n for request, n in running.client.requests.snapshot().with_code(404).items()
               if request.resource == "secrets"}
    assert missing == {}
