"""The test PostgreSQL server is real: asyncpg connects with the superuser's password and runs queries."""

from __future__ import annotations

import asyncpg
import pytest

from teamop.testing.postgres import PostgresServer

pytestmark = pytest.mark.postgres


async def test_asyncpg_connects_and_runs_a_query(postgres: PostgresServer) -> None:
    connection = await asyncpg.connect(postgres.dsn, timeout=10)
    try:
        version = await connection.fetchval("SHOW server_version_num")
        assert int(version) >= 150000
        assert await connection.fetchval("SELECT current_user") == postgres.superuser
    finally:
        await connection.close()


async def test_a_wrong_password_is_refused(postgres: PostgresServer) -> None:
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(
            host=postgres.host, port=postgres.port, user=postgres.superuser, password="wrong", database="postgres",
            timeout=10,
        )
