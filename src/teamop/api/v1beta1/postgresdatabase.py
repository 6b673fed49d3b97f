"""PostgresDatabase: a role, a database and schemas in a PostgreSQL server, for one product."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from teamop.api.v1beta1.base import ApiModel
from teamop.api.v1beta1.common import SecretConfig
from teamop.api.v1beta1.resource import Resource
from teamop.api.v1beta1.status import CommonStatus

POSTGRES_URL_PATTERN = r"^postgres.+@.+/.+"


class PostgresDatabaseTeardown(ApiModel):
    """What happens to the database when the PostgresDatabase is deleted."""

    drop: bool | None = None
    """Drop the database and its role."""


class PostgresDatabaseSpec(ApiModel):
    """PostgresDatabaseSpec defines the desired state of PostgresDatabase"""

    url: str = Field(pattern=POSTGRES_URL_PATTERN)
    """The database to provide: postgres://<role>@<host>:<port>/<database>"""
    secret_vault: str | None = None
    """SecretVault is the secret (vault name) holding the role's password. Required by the Go operator; when it
    is absent teamop generates the password into a Secret it owns (see status.secretRef)."""
    secret_password_key: str | None = None
    """SecretPasswordKey is the key of the role's password within SecretVault"""
    secret: SecretConfig | None = None
    """Secret is configuration to use for retrieving the password"""
    workload_secret: SecretConfig | None = None
    """WorkloadSecret holds the admin URL of the PostgreSQL server"""
    main_db_credential_secret: SecretConfig | None = None
    """MainDatabaseCredentialSecret holds username and password overriding those of the admin URL"""
    schemas: list[str] | None = None
    """Schemas to create, owned by the role."""
    extensions: list[str] | None = None
    """Extensions to create in the database."""
    teardown: PostgresDatabaseTeardown | None = None


class SecretKeyReference(ApiModel):
    """A key of a Secret in the same namespace."""

    name: str
    key: str | None = None


class PostgresDatabaseStatus(CommonStatus):
    """PostgresDatabaseStatus defines the observed state of PostgresDatabase"""

    database: str | None = None
    """The database name on the server."""
    role: str | None = None
    """The role that owns the database."""
    schemas: list[str] | None = None
    """The schemas that exist."""
    secret_ref: SecretKeyReference | None = None
    """The Secret and key holding the role's password."""


class PostgresDatabase(Resource):
    """PostgresDatabase is the Schema for the postgresdatabases API"""

    kind: Literal["PostgresDatabase"] = "PostgresDatabase"
    spec: PostgresDatabaseSpec
    status: PostgresDatabaseStatus | None = None
