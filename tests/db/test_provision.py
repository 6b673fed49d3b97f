"""Provisioning against a real PostgreSQL: roles, databases, schemas, isolation, ownership records, drop."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from teamop.db.provision import (
    DatabaseLoginFailed,
    DatabaseNameConflict,
    DatabaseRequest,
    DatabaseUnreachable,
    drop_database,
    ensure_database,
)
from teamop.db.server import ServerLogin, parse_admin_url
from teamop.products.naming import database_identifier
from teamop.testing.postgres import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin(postgres: PostgresServer) -> ServerLogin:
    return parse_admin_url(postgres.admin_url_without_credentials, username=postgres.superuser,
                           password=postgres.password)


@pytest.fixture
def site() -> str:
    return f"site-{uuid.uuid4().hex[:6]}"


def request_for(site: str, component: str, schemas: tuple[str, ...] = (), owner: str = "") -> DatabaseRequest:
    name = database_identifier(site, component)
    return DatabaseRequest(database=name, role=name, password=f"pw-{uuid.uuid4().hex}",
                           owner=owner or f"ns/{site}", schemas=schemas)


async def fetch(login: ServerLogin, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(login.dsn(), ssl="disable")
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


def test_database_names_follow_site_and_component() -> None:
    assert database_identifier("orbit", "connect") == "orbit_connect"
    assert database_identifier("my-Site.1", "packagemanager") == "my_site_1_packagemanager"


async def test_a_new_database_is_owned_by_its_role_with_its_schemas(admin: ServerLogin, site: str) -> None:
    request = request_for(site, "connect", ("connect", "instrumentation"))

    state = await ensure_database(admin, request)

    assert state.created
    rows = await fetch(admin, "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1",
                       request.database)
    assert rows[0]["owner"] == request.role
    schemas = await fetch(admin.to(request.database),
                          "SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace "
                          "WHERE nspname = ANY($1::text[]) ORDER BY nspname", list(request.schemas))
    assert [(r["nspname"], r["owner"]) for r in schemas] == [("connect", request.role),
                                                             ("instrumentation", request.role)]


async def test_the_role_can_use_its_own_schema(admin: ServerLogin, site: str) -> None:
    request = request_for(site, "packagemanager", ("pm", "metrics"))
    await ensure_database(admin, request)

    as_role = admin.to(request.database).as_user(request.role, request.password)
    await fetch(as_role, "CREATE TABLE pm.packages (name text)")
    assert await fetch(as_role, "SELECT count(*) AS n FROM pm.packages") == [(0,)]


async def test_a_product_role_cannot_connect_to_another_products_database(admin: ServerLogin, site: str) -> None:
    connect = request_for(site, "connect", ("connect",))
    workbench = request_for(site, "workbench")
    await ensure_database(admin, connect)
    await ensure_database(admin, workbench)

    intruder = admin.to(workbench.database).as_user(connect.role, connect.password)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await fetch(intruder, "SELECT 1")


async def test_running_twice_changes_nothing_and_keeps_data(admin: ServerLogin, site: str) -> None:
    request = request_for(site, "connect", ("connect",))
    await ensure_database(admin, request)
    as_role = admin.to(request.database).as_user(request.role, request.password)
    await fetch(as_role, "CREATE TABLE connect.kept (v int)")
    await fetch(as_role, "INSERT INTO connect.kept VALUES (42)")

    state = await ensure_database(admin, request)

    assert not state.created
    assert not state.adopted
    assert await fetch(as_role, "SELECT v FROM connect.kept") == [(42,)]


async def test_a_changed_password_is_set_on_the_existing_role(admin: ServerLogin, site: str) -> None:
    request = request_for(site, "workbench")
    await ensure_database(admin, request)
    changed = DatabaseRequest(request.database, request.role, "a-new-password", request.owner)

    await ensure_database(admin, changed)

    await fetch(admin.to(request.database).as_user(request.role, "a-new-password"), "SELECT 1")


async def test_a_database_without_an_owner_record_is_adopted(admin: ServerLogin, site: str) -> None:
    request = request_for(site, "connect")
    await fetch(admin, f'CREATE DATABASE "{request.database}"')  # as the Go operator left it: admin-owned

    state = await ensure_database(admin, request)

    assert state.adopted
    rows = await fetch(admin, "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1",
                       request.database)
    assert rows[0]["owner"] == request.role


async def test_a_database_owned_by_another_site_is_refused_and_left_alone(admin: ServerLogin, site: str) -> None:
    mine = request_for(site, "connect", owner="team-a/" + site)
    await ensure_database(admin, mine)
    theirs = DatabaseRequest(mine.database, mine.role, "other", owner="team-b/" + site)

    with pytest.raises(DatabaseNameConflict, match="team-a/"):
        await ensure_database(admin, theirs)
    with pytest.raises(DatabaseNameConflict):
        await drop_database(admin, database=mine.database, role=mine.role, owner=theirs.owner)

    await fetch(admin.to(mine.database).as_user(mine.role, mine.password), "SELECT 1")


async def test_drop_removes_the_database_and_role_even_while_connected(admin: ServerLogin, site: str) -> None:
    request = request_for(site, "connect", ("connect",))
    await ensure_database(admin, request)
    lingering = await asyncpg.connect(admin.to(request.database).as_user(request.role, request.password).dsn(),
                                      ssl="disable")

    dropped = await drop_database(admin, database=request.database, role=request.role, owner=request.owner)

    assert dropped
    with pytest.raises(asyncpg.InterfaceError, match="connection is closed"):  # terminated by the server
        await lingering.fetchval("SELECT 1")
    assert await fetch(admin, "SELECT 1 FROM pg_database WHERE datname = $1", request.database) == []
    assert await fetch(admin, "SELECT 1 FROM pg_roles WHERE rolname = $1", request.role) == []
    assert not await drop_database(admin, database=request.database, role=request.role, owner=request.owner)


async def test_a_wrong_admin_password_is_reported_without_the_password(admin: ServerLogin, site: str) -> None:
    wrong = admin.as_user(admin.user, "definitely-wrong")
    with pytest.raises(DatabaseLoginFailed) as caught:
        await ensure_database(wrong, request_for(site, "connect"))
    assert "definitely-wrong" not in str(caught.value)


async def test_an_unreachable_server_is_reported(admin: ServerLogin, site: str) -> None:
    nowhere = ServerLogin(host="127.0.0.1", port=1, database="postgres", user="u", password="p", sslmode="disable")
    with pytest.raises(DatabaseUnreachable, match=r"127\.0\.0\.1:1\b"):
        await ensure_database(nowhere, request_for(site, "connect"))
