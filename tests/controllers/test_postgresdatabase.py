"""The PostgresDatabase controller against a real API server and a real PostgreSQL, with the Go operator's
Secret layout: `main-database-url` in the workload Secret, `username`/`password` in the credential Secret, the
role's password under its key in the site secret."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import asyncpg
import pytest

from teamop.controllers import postgresdatabase
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import eventually_async, until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]


def secret(name: str, namespace: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def apply(plane: ControlPlane, *objects: dict[str, Any]) -> None:
    plane.kubectl("apply", "--server-side", "-f", "-",
                  input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))


def go_operator_secrets(site: str, namespace: str, server: PostgresServer, role_password: str) -> list[dict[str, Any]]:
    return [
        secret(site, namespace, {"main-database-url": server.admin_url_without_credentials,
                                 "pub-db-password": role_password}),
        secret(f"{site}-db-creds", namespace, {"username": server.superuser, "password": server.password}),
    ]


def database(site: str, namespace: str, server: PostgresServer, *, drop: bool = True,
             schemas: tuple[str, ...] = ("connect", "instrumentation")) -> dict[str, Any]:
    name = f"{site}_connect".replace("-", "_")
    return {
        "apiVersion": "core.posit.team/v1beta1",
        "kind": "PostgresDatabase",
        "metadata": {"name": f"{site}-connect", "namespace": namespace},
        "spec": {
            "url": f"postgres://{name}@{server.host}:{server.port}/{name}",
            "secretVault": site,
            "secretPasswordKey": "pub-db-password",
            "workloadSecret": {"type": "kubernetes", "vaultName": site},
            "mainDbCredentialSecret": {"type": "kubernetes", "vaultName": f"{site}-db-creds"},
            "schemas": list(schemas),
            "teardown": {"drop": drop},
        },
    }


async def delete_and_wait(plane: ControlPlane, namespace: str, name: str) -> None:
    """Delete without blocking the event loop the operator runs on, then wait until the object is gone."""
    plane.kubectl("delete", "postgresdatabase", name, "-n", namespace, "--wait=false")
    await until(lambda: plane.kubectl("get", "postgresdatabase", name, "-n", namespace, check=False).returncode != 0,
                timeout=60, what=f"PostgresDatabase {name} to be deleted")


def status_of(plane: ControlPlane, namespace: str, name: str) -> dict[str, Any]:
    obj = json.loads(plane.kubectl("get", "postgresdatabase", name, "-n", namespace, "-o", "json").stdout)
    status: dict[str, Any] = obj.get("status") or {}
    return status


async def until_ready(plane: ControlPlane, namespace: str, site: str,
                      what: str = "the PostgresDatabase to be ready") -> None:
    await until(lambda: status_of(plane, namespace, f"{site}-connect").get("ready") is True, timeout=60, what=what)


def ready_condition(plane: ControlPlane, namespace: str, name: str) -> dict[str, Any]:
    for condition in status_of(plane, namespace, name).get("conditions") or []:
        if condition["type"] == "Ready":
            return dict(condition)
    return {}


async def databases(server: PostgresServer, name: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(server.dsn, ssl="disable")
    try:
        return list(await connection.fetch(
            "SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


@pytest.fixture
def site() -> str:
    return f"pg{uuid.uuid4().hex[:6]}"


async def provisioned(plane: ControlPlane, namespace: str, postgres: PostgresServer, operator: OperatorFactory,
                      site: str, role_password: str, *, drop: bool = True) -> None:
    """The site's PostgresDatabase, with the Go operator's Secrets, made Ready by a running controller."""
    apply(plane, *go_operator_secrets(site, namespace, postgres, role_password))
    apply(plane, database(site, namespace, postgres, drop=drop))
    await operator([postgresdatabase.setup], namespaces=namespace)
    await until_ready(plane, namespace, site)


async def provisioned_then_deleted(plane: ControlPlane, namespace: str, postgres: PostgresServer,
                                   operator: OperatorFactory, site: str, role_password: str, *, drop: bool) -> None:
    """The site's PostgresDatabase made Ready, then deleted and gone (its finalizer done)."""
    await provisioned(plane, namespace, postgres, operator, site, role_password, drop=drop)
    await delete_and_wait(plane, namespace, f"{site}-connect")


async def test_a_database_is_provisioned_from_the_go_operators_secret_layout(
    controlplane: ControlPlane, namespace: str, postgres: PostgresServer, site: str,
    operator: OperatorFactory,
) -> None:
    await provisioned(controlplane, namespace, postgres, operator, site, "role-pw-1")

    status = status_of(controlplane, namespace, f"{site}-connect")
    assert (status["database"], status["role"], status["schemas"]) == (
        f"{site}_connect", f"{site}_connect", ["connect", "instrumentation"])
    assert ready_condition(controlplane, namespace, f"{site}-connect")["reason"] == "DatabaseReady"
    rows = await databases(postgres, f"{site}_connect")
    assert [(r["datname"], r["owner"]) for r in rows] == [(f"{site}_connect", f"{site}_connect")]
    role = await asyncpg.connect(host=postgres.host, port=postgres.port, user=f"{site}_connect",
                                 password="role-pw-1", database=f"{site}_connect", ssl="disable")
    await role.close()


async def test_a_missing_secret_is_named_in_the_condition_and_the_database_follows_once_it_exists(
    controlplane: ControlPlane, namespace: str, postgres: PostgresServer, site: str,
    operator: OperatorFactory,
) -> None:
    workload, credentials = go_operator_secrets(site, namespace, postgres, "role-pw-2")
    apply(controlplane, credentials, database(site, namespace, postgres))
    await operator([postgresdatabase.setup], namespaces=namespace)

    condition = await until(lambda: ready_condition(controlplane, namespace, f"{site}-connect").get("reason")
                           == "SecretNotFound" and ready_condition(controlplane, namespace, f"{site}-connect"),
                           timeout=60, what="Ready=False SecretNotFound")
    assert condition["status"] == "False"
    assert f"Secret '{site}'" in condition["message"]
    events = controlplane.kubectl("get", "events", "-n", namespace, "-o", "json").stdout
    assert "SecretNotFound" in events

    apply(controlplane, workload)
    await until_ready(controlplane, namespace, site, "the PostgresDatabase to be ready once its Secret exists")


async def test_deleting_with_teardown_drop_removes_the_database_and_role(
    controlplane: ControlPlane, namespace: str, postgres: PostgresServer, site: str,
    operator: OperatorFactory,
) -> None:
    await provisioned_then_deleted(controlplane, namespace, postgres, operator, site, "role-pw-3", drop=True)

    assert await databases(postgres, f"{site}_connect") == []


async def test_deleting_without_teardown_drop_keeps_the_data(
    controlplane: ControlPlane, namespace: str, postgres: PostgresServer, site: str,
    operator: OperatorFactory,
) -> None:
    await provisioned_then_deleted(controlplane, namespace, postgres, operator, site, "role-pw-4", drop=False)

    assert len(await databases(postgres, f"{site}_connect")) == 1


async def test_a_same_named_site_in_another_namespace_gets_a_name_conflict_and_nothing_is_dropped(
    controlplane: ControlPlane, namespace: str, postgres: PostgresServer, site: str,
    operator: OperatorFactory,
) -> None:
    other = f"{namespace[:50]}-b"
    controlplane.kubectl("create", "namespace", other)
    try:
        for ns in (namespace, other):
            apply(controlplane, *go_operator_secrets(site, ns, postgres, "role-pw-5"))
        apply(controlplane, database(site, namespace, postgres))
        await operator([postgresdatabase.setup], namespaces=[namespace, other])
        await until_ready(controlplane, namespace, site)

        apply(controlplane, database(site, other, postgres))

        condition = await until(
            lambda: ready_condition(controlplane, other, f"{site}-connect").get("reason") == "DatabaseNameConflict"
            and ready_condition(controlplane, other, f"{site}-connect"), timeout=60)
        assert f"{namespace}/{site}-connect" in condition["message"]
        await delete_and_wait(controlplane, other, f"{site}-connect")
        assert len(await databases(postgres, f"{site}_connect")) == 1
        assert status_of(controlplane, namespace, f"{site}-connect").get("ready") is True
    finally:
        controlplane.kubectl("delete", "namespace", other, "--wait=false", check=False)


async def test_postgres_down_is_reported_and_the_database_converges_when_it_is_back(
    controlplane: ControlPlane, namespace: str, site: str, operator: OperatorFactory,
) -> None:
    server = PostgresServer().start()
    try:
        server.stop_server_only()
        apply(controlplane, *go_operator_secrets(site, namespace, server, "role-pw-6"))
        apply(controlplane, database(site, namespace, server))
        await operator([postgresdatabase.setup], namespaces=namespace)

        condition = await until(
            lambda: ready_condition(controlplane, namespace, f"{site}-connect").get("reason") == "DatabaseUnreachable"
            and ready_condition(controlplane, namespace, f"{site}-connect"), timeout=60)
        assert server.password not in condition["message"]

        server.start_again()

        await eventually_async(lambda: databases(server, f"{site}_connect"), timeout=90,
                               what="the database to be created once PostgreSQL is back")
    finally:
        server.stop()
