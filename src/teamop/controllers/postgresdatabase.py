"""PostgresDatabase: a login role, a database it owns and its schemas in a real PostgreSQL server.

Level-triggered: every reconcile makes the server match the spec (idempotently), so a database dropped by hand
comes back. Deletion runs behind the reference's finalizer: with `teardown.drop` the database and role are
dropped, otherwise the data stays. Passwords, URLs with credentials and Secret data are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog

from teamop.controllers.kinds import FINALIZER, POSTGRES_DATABASE, SECRET
from teamop.controllers.secrets import (
    SecretProblem,
    admin_login,
    kubernetes_secret_name,
    read_secret_name,
    secret_data,
    secret_reader,
)
from teamop.db.provision import DatabaseError, DatabaseNameConflict, DatabaseRequest, drop_database, ensure_database
from teamop.db.server import ServerLogin
from teamop.runtime.conditions import Conditions
from teamop.runtime.controller import ControllerBuilder
from teamop.runtime.finalizers import add_finalizer, has_finalizer, is_being_deleted, remove_finalizer
from teamop.runtime.manager import Manager
from teamop.runtime.reconcile import Request, Result
from teamop.runtime.store import Obj

log = structlog.get_logger(__name__)

RETRY_SECONDS = 15.0
RESYNC_SECONDS = 600.0
# Retries of a failing database: exponential from 1 s, capped low because the cause (a server or a Secret outside
# our watch) can come back at any moment and nothing else would wake us up.
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
SECRET_REFERENCE_INDEX = "secret-references"


class SpecProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def database_and_role(url: str) -> tuple[str, str]:
    """(database, role) from `postgres://<role>@<host>:<port>/<database>`."""
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    role = unquote(parts.username or "")
    if not database or not role:
        raise SpecProblem("spec.url", "spec.url must look like postgres://<role>@<host>:<port>/<database>")
    return database, role


def referenced_secrets(obj: Obj) -> list[str]:
    """Names of the Secrets a PostgresDatabase reads (for re-reconciling when one of them changes)."""
    spec = obj.get("spec") or {}
    names = {spec.get("secretVault")}
    for field in ("workloadSecret", "mainDbCredentialSecret"):
        names.add(read_secret_name(spec.get(field)))
    return sorted(name for name in names if name)


class PostgresDatabaseReconciler:
    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self.cache = manager.cache
        self.secrets = secret_reader(manager)
        self.client = manager.client
        self._failures: dict[Request, int] = {}

    def _retry_later(self, request: Request) -> Result:
        failures = self._failures.get(request, 0)
        self._failures[request] = failures + 1
        return Result(requeue_after=min(FIRST_RETRY_SECONDS * 2**failures, MAX_RETRY_SECONDS))

    async def reconcile(self, request: Request) -> Result | None:
        obj = self.cache.get(POSTGRES_DATABASE, request.name, request.namespace)
        if obj is None:
            return None
        if is_being_deleted(obj):
            return await self._finalize(obj)
        if not has_finalizer(obj, FINALIZER):
            await add_finalizer(self.client, obj, FINALIZER)
            return None  # the update event brings us back with the finalizer in the cache
        conditions = Conditions.of(obj)
        try:
            admin, database_request = await self._inputs(obj)
            state = await ensure_database(admin, database_request)
        except (SecretProblem, SpecProblem) as problem:
            reason = getattr(problem, "reason", "InvalidSpec")
            await self._not_ready(obj, conditions, reason, str(problem))
            return self._retry_later(request)
        except DatabaseError as error:
            await self._not_ready(obj, conditions, error.reason, str(error))
            return self._retry_later(request)
        self._failures.pop(request, None)
        if state.created:
            self.manager.events.record(obj, "Normal", "DatabaseCreated",
                                       f"created database {state.database} owned by role {state.role}")
        conditions.set("Ready", True, "DatabaseReady",
                       f"database {state.database} with role {state.role} is provisioned")
        conditions.remove("DatabaseNameConflict")
        await self._write_status(obj, conditions, ready=True, extra={
            "database": state.database,
            "role": state.role,
            "schemas": list(state.schemas),
            "secretRef": {"name": obj["spec"].get("secretVault"), "key": obj["spec"].get("secretPasswordKey")},
        })
        return None

    async def _inputs(self, obj: Obj) -> tuple[ServerLogin, DatabaseRequest]:
        spec = obj.get("spec") or {}
        metadata = obj["metadata"]
        namespace = metadata["namespace"]
        database, role = database_and_role(str(spec.get("url", "")))
        admin = await admin_login(self.secrets, namespace, spec.get("workloadSecret"),
                                  spec.get("mainDbCredentialSecret"), credential_field="spec.mainDbCredentialSecret")
        password = await self._role_password(namespace, spec)
        return admin, DatabaseRequest(
            database=database,
            role=role,
            password=password,
            owner=f"{namespace}/{metadata['name']}",
            schemas=tuple(spec.get("schemas") or ()),
            extensions=tuple(spec.get("extensions") or ()),
        )

    async def _role_password(self, namespace: str, spec: Mapping[str, Any]) -> str:
        name = spec.get("secretVault") or kubernetes_secret_name(spec.get("secret"), "spec.secret")
        key = spec.get("secretPasswordKey")
        if not name or not key:
            raise SpecProblem("spec.secretVault", "spec.secretVault and spec.secretPasswordKey must name the "
                                                  "Secret and key holding the role's password")
        data = await secret_data(self.secrets, namespace, name)
        if data is None:
            raise SecretProblem("SecretNotFound", "spec.secretVault", f"Secret {name!r} (spec.secretVault) not found")
        if not data.get(key):
            raise SecretProblem("SecretKeyMissing", "spec.secretPasswordKey",
                                f"Secret {name!r} has no key {key!r} (spec.secretPasswordKey)")
        return data[key]

    async def _not_ready(self, obj: Obj, conditions: Conditions, reason: str, message: str) -> None:
        """Ready=False with the reason and a Warning Event."""
        conditions_now = (obj.get("status") or {}).get("conditions") or []
        previous: Mapping[str, Any] = next((c for c in conditions_now if c.get("type") == "Ready"), {})
        if (previous.get("reason"), previous.get("message")) != (reason, message):
            log.warning("database not ready", reason=reason, message=message)
        self.manager.events.record(obj, "Warning", reason, message)
        conditions.set("Ready", False, reason, message)
        if reason == DatabaseNameConflict.reason:
            conditions.set("DatabaseNameConflict", True, reason, message)
        await self._write_status(obj, conditions, ready=False)

    async def _write_status(self, obj: Obj, conditions: Conditions, *, ready: bool,
                            extra: Mapping[str, Any] | None = None) -> None:
        current = obj.get("status") or {}
        status: dict[str, Any] = {
            **{k: current[k] for k in ("database", "role", "schemas", "secretRef") if k in current},
            **(extra or {}),
            "conditions": conditions.items,
            "observedGeneration": obj["metadata"].get("generation"),
            "ready": ready,
        }
        await self.manager.status.update(obj, status)

    async def _finalize(self, obj: Obj) -> Result | None:
        if not has_finalizer(obj, FINALIZER):
            return None
        spec = obj.get("spec") or {}
        if (spec.get("teardown") or {}).get("drop"):
            conditions = Conditions.of(obj)
            try:
                database, role = database_and_role(str(spec.get("url", "")))
                admin = await admin_login(
                    self.secrets, obj["metadata"]["namespace"], spec.get("workloadSecret"),
                    spec.get("mainDbCredentialSecret"), credential_field="spec.mainDbCredentialSecret")
                owner = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
                dropped = await drop_database(admin, database=database, role=role, owner=owner)
            except DatabaseNameConflict as conflict:
                self.manager.events.record(obj, "Warning", conflict.reason, f"{conflict}; not dropped")
            except (DatabaseError, SecretProblem, SpecProblem) as error:
                reason = getattr(error, "reason", "InvalidSpec")
                message = f"cannot drop the database yet, the finalizer waits: {error}"
                conditions.set("Ready", False, "TeardownBlocked", message)
                self.manager.events.record(obj, "Warning", "TeardownBlocked", f"{reason}: {error}")
                await self._write_status(obj, conditions, ready=False)
                return Result(requeue_after=RETRY_SECONDS)
            else:
                if dropped:
                    self.manager.events.record(obj, "Normal", "DatabaseDropped", f"dropped database {database}")
        await remove_finalizer(self.client, obj, FINALIZER)
        return None


def setup(manager: Manager, *, max_concurrent_reconciles: int = 2) -> None:
    """Register the controller: PostgresDatabases, and the Secrets they read (a changed Secret re-runs them)."""
    reconciler = PostgresDatabaseReconciler(manager)

    def databases_reading(secret: Mapping[str, Any]) -> list[Request]:
        metadata = secret.get("metadata") or {}
        namespace, name = metadata.get("namespace", ""), metadata.get("name", "")
        informer = manager.cache.get_informer(POSTGRES_DATABASE, namespace=manager.namespaces)
        return [Request.of(db) for db in informer.by_index(SECRET_REFERENCE_INDEX, f"{namespace}/{name}")]

    informer = manager.cache.get_informer(POSTGRES_DATABASE, namespace=manager.namespaces)
    informer.add_index(
        SECRET_REFERENCE_INDEX,
        lambda db: [f"{db['metadata'].get('namespace', '')}/{name}" for name in referenced_secrets(db)],
    )
    (
        ControllerBuilder(manager)
        .named("postgresdatabase")
        .for_(POSTGRES_DATABASE)
        .watches(SECRET, databases_reading)
        # The server is outside the cluster: look again now and then, so a database dropped by hand comes back.
        .with_options(max_concurrent_reconciles=max_concurrent_reconciles, resync_period=RESYNC_SECONDS)
        .complete(reconciler)
    )
