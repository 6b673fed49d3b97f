"""Idempotent PostgreSQL provisioning: a login role, a database it owns, its schemas, nobody else let in.

Every statement quotes identifiers and literals on the server (`format('%I', ...)`, `format('%L', ...)`), so no SQL
is ever built by pasting user input into a string here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from teamop.db.server import ServerLogin

if TYPE_CHECKING:
    import asyncpg

OWNER_TAG_PREFIX = "teamop owner: "
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0


class DatabaseError(Exception):
    """A provisioning failure; `reason` is a CamelCase condition reason. Messages never carry a password."""

    reason = "DatabaseError"


class DatabaseUnreachable(DatabaseError):
    reason = "DatabaseUnreachable"


class DatabaseLoginFailed(DatabaseError):
    reason = "DatabaseLoginFailed"


class DatabaseNameConflict(DatabaseError):
    reason = "DatabaseNameConflict"


@dataclass(frozen=True)
class DatabaseRequest:
    """What one PostgresDatabase asks for. `owner` is the `namespace/name` recorded on the database."""

    database: str
    role: str
    password: str = field(repr=False)
    owner: str
    schemas: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatabaseState:
    database: str
    role: str
    schemas: tuple[str, ...]
    created: bool
    adopted: bool


async def connect(login: ServerLogin) -> asyncpg.Connection:
    """Connect with short timeouts, TLS per sslmode; failures become DatabaseError without the password."""
    import asyncpg  # ~2 MB, loaded by the first database to provision, not by every operator at start

    try:
        connection: asyncpg.Connection = await asyncpg.connect(
            host=login.host,
            port=login.port,
            user=login.user,
            password=login.password,
            database=login.database,
            ssl=login.sslmode,
            timeout=CONNECT_TIMEOUT,
            command_timeout=COMMAND_TIMEOUT,
            statement_cache_size=0,
        )
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as error:
        raise DatabaseLoginFailed(f"PostgreSQL refused the login of {login.redacted()}: {error}") from None
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise DatabaseUnreachable(
            f"cannot reach PostgreSQL at {login.host}:{login.port}: {type(error).__name__}: {error}"
        ) from None
    return connection


async def _execute_formatted(connection: asyncpg.Connection, template: str, *args: str) -> None:
    """Let the server quote `args` into `template` (with %I for identifiers, %L for literals), then run it."""
    statement: str = await connection.fetchval(f"SELECT format('{template}', {_placeholders(len(args))})", *args)
    await connection.execute(statement)


def _placeholders(count: int) -> str:
    return ", ".join(f"${i}::text" for i in range(1, count + 1))


async def ensure_database(admin: ServerLogin, request: DatabaseRequest) -> DatabaseState:
    """Create or adopt the role and database of `request`; safe to run any number of times."""
    connection = await connect(admin)
    try:
        created_role = await _ensure_role(connection, request)
        created, adopted = await _ensure_database(connection, request)
    finally:
        await connection.close()
    connection = await connect(admin.to(request.database))
    try:
        for schema in request.schemas:
            await _execute_formatted(
                connection, "CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I", schema, request.role
            )
            await _execute_formatted(connection, "ALTER SCHEMA %I OWNER TO %I", schema, request.role)
        for extension in request.extensions:
            await _execute_formatted(connection, "CREATE EXTENSION IF NOT EXISTS %I", extension)
        await connection.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        await _execute_formatted(connection, "GRANT ALL ON SCHEMA public TO %I", request.role)
    finally:
        await connection.close()
    if not created_role:
        await _ensure_password(admin, request)
    return DatabaseState(request.database, request.role, request.schemas, created, adopted)


async def _ensure_role(connection: asyncpg.Connection, request: DatabaseRequest) -> bool:
    exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", request.role)
    if not exists:
        await _execute_formatted(connection, "CREATE ROLE %I LOGIN PASSWORD %L", request.role, request.password)
    # A non-superuser admin (a cloud "master" user) must be a member of the role to hand it a database.
    is_superuser = await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not is_superuser:
        member = await connection.fetchval("SELECT pg_has_role(current_user, $1, 'MEMBER')", request.role)
        if not member:
            await _execute_formatted(connection, "GRANT %I TO CURRENT_USER", request.role)
    return not exists


async def _ensure_password(admin: ServerLogin, request: DatabaseRequest) -> None:
    """Log in as the role; only when that fails is its password set again (no needless writes)."""
    try:
        probe = await connect(admin.to(request.database).as_user(request.role, request.password))
    except DatabaseLoginFailed:
        connection = await connect(admin)
        try:
            await _execute_formatted(connection, "ALTER ROLE %I LOGIN PASSWORD %L", request.role, request.password)
        finally:
            await connection.close()
    else:
        await probe.close()


async def _ensure_database(connection: asyncpg.Connection, request: DatabaseRequest) -> tuple[bool, bool]:
    """Returns (created, adopted). A database recorded as another owner's is refused, never touched."""
    row = await connection.fetchrow(
        "SELECT d.oid, pg_get_userbyid(d.datdba) AS owner, shobj_description(d.oid, 'pg_database') AS comment "
        "FROM pg_database d WHERE d.datname = $1",
        request.database,
    )
    tag = OWNER_TAG_PREFIX + request.owner
    created = adopted = False
    if row is None:
        await _execute_formatted(connection, "CREATE DATABASE %I OWNER %I", request.database, request.role)
        created = True
    else:
        comment = row["comment"] or ""
        if comment.startswith(OWNER_TAG_PREFIX) and comment != tag:
            recorded = comment.removeprefix(OWNER_TAG_PREFIX)
            raise DatabaseNameConflict(
                f"database {request.database!r} belongs to {recorded}, not {request.owner}; it was left untouched"
            )
        adopted = comment != tag
        if row["owner"] != request.role:
            await _execute_formatted(connection, "ALTER DATABASE %I OWNER TO %I", request.database, request.role)
    if created or adopted:
        await _execute_formatted(connection, "COMMENT ON DATABASE %I IS %L", request.database, tag)
    await _execute_formatted(connection, "REVOKE ALL ON DATABASE %I FROM PUBLIC", request.database)
    await _execute_formatted(connection, "GRANT ALL ON DATABASE %I TO %I", request.database, request.role)
    return created, adopted


async def drop_database(admin: ServerLogin, *, database: str, role: str, owner: str) -> bool:
    """Terminate its sessions, drop the database and its role. A database recorded as another owner's is kept
    (DatabaseNameConflict). Returns False when there was nothing to drop."""
    connection = await connect(admin)
    try:
        comment = await connection.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", database
        )
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists and comment and comment.startswith(OWNER_TAG_PREFIX) and comment != OWNER_TAG_PREFIX + owner:
            raise DatabaseNameConflict(f"database {database!r} belongs to {comment.removeprefix(OWNER_TAG_PREFIX)}")
        if exists:
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            await _execute_formatted(connection, "DROP DATABASE IF EXISTS %I WITH (FORCE)", database)
        role_exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        if role_exists:
            await _execute_formatted(connection, "DROP ROLE IF EXISTS %I", role)
        return bool(exists or role_exists)
    finally:
        await connection.close()
