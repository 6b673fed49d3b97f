"""A whole Site with every controller running, against the real API server (kwok runs the pods) and a real
PostgreSQL: what a user sees with kubectl."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import pytest
from sites import apply, condition, get, go_operator_secrets, sample_site

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
