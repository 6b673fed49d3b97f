"""Takeover without the Go binary: what the Go operator leaves behind for the reference's sample Site
(`tests/reference/rendered`) is created in a namespace as it creates it — its writes are creates and updates under
its field manager `team-operator` (operation Update), owner references to the real uids — with the databases and
roles in PostgreSQL named as it names them and a row of data in each. Then teamop starts, and a user finds
everything they had: the Site Ready, the same volumes, keys, S3 addresses and databases, one workload per product,
and no field left to the Go operator.

Adapted to the test cluster (and nothing else): the namespace (`posit-team` wherever it is spelled); the database
server (`postgres.example.test:5432` → the test PostgreSQL); the Keycloak operator's CRD is installed for this
module (no Keycloak operator runs) and the Go operator's Keycloak resource is the one written from reading its
code (tests/products/site/from_reference/Keycloak-test.yaml); Package Manager stores its packages in S3 (the Site's
`packageManager.s3Bucket`, with what the Go Site controller then writes into the PackageManager resource and its
config file) so that its S3 address is checked too; the images stay as they are (kwok runs no containers). As on the
Go operator's cluster, Workbench's shared-storage claim stays Pending: it names a class and a volume that only a
volume source would make, and the reference Site has none.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from takeover import (
    GO_FIELD_MANAGER,
    GoKeys,
    adapted,
    as_go_creates_it,
    differing,
    env_value,
    file_in_volume,
    gcfg_section,
    get,
    items,
    key_secret,
    reference_children,
    reference_products,
    reference_site,
    running_pods,
    update_fields_left,
    with_secret_values,
)

from teamop.controllers.registry import setup_operator
from teamop.runtime.client import Client
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import RunningOperator, start_operator
from teamop.testing.postgres import PostgresServer
from teamop.testing.thirdparty import ThirdPartyCRDs
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

SITE = "test"  # the reference's Site: its objects and their texts name it (databases test_connect, ...)
PRODUCT_KINDS = ("Connect", "Workbench", "PackageManager", "Chronicle", "Flightdeck")
DATABASES = {  # component -> the schema holding the row (Go: role and database `<site>_<component>`)
    "connect": "connect",
    "packagemanager": "pm",
    "workbench": "public",
    "keycloak": "keycloak",  # Keycloak's realm data
}
SCHEMAS = {"connect": ("connect", "instrumentation"), "packagemanager": ("pm", "metrics"), "workbench": (),
           "keycloak": ("keycloak",)}
GO_KEYCLOAK = Path(__file__).resolve().parents[1] / "products" / "site" / "from_reference" / "Keycloak-test.yaml"
WORKLOADS = {  # the workload of each product, as the reference names them
    "Deployment": ["test-connect", "test-flightdeck", "test-packagemanager", "test-workbench"],
    "StatefulSet": ["test-chronicle"],
}
GO_WORKLOADS = (("deployment", "test-connect"), ("deployment", "test-packagemanager"),
                ("deployment", "test-workbench"), ("statefulset", "test-chronicle"))
"""The workloads in the reference (its Flightdeck's are not there)."""
OBJECT_KINDS = ("sites,connects,workbenches,packagemanagers,chronicles,flightdecks,postgresdatabases,deployments,"
                "statefulsets,daemonsets,services,serviceaccounts,configmaps,secrets,roles,rolebindings,"
                "persistentvolumeclaims,ingresses,poddisruptionbudgets,networkpolicies,keycloaks.k8s.keycloak.org")
"""Every kind of object the Go operator or teamop makes in a Site's namespace."""
PACKAGE_MANAGER_BUCKET = "example-ppm-test-bucket"
ROW = "written by the Go operator's products"
CONVERGE_SECONDS = 240
SETTLE_SECONDS = 90


def phase(obj: Mapping[str, Any]) -> str | None:
    return (obj.get("status") or {}).get("phase")


@dataclass
class Before:
    """What the Go operator's Site had when teamop started."""

    claims: dict[str, tuple[str, str]] = field(default_factory=dict)
    """claim name -> (uid, bound volume), of the claims bound to a volume (those that hold data)."""
    unbound_claims: dict[str, str] = field(default_factory=dict)
    """claim name -> uid, of the claims never bound (Pending: no volume, no data)."""
    mounted_claims: dict[str, set[str]] = field(default_factory=dict)
    """workload name -> the claims its pods mount."""
    keys: dict[str, str] = field(default_factory=dict, repr=False)
    """What each product's pods read as their keys (see `keys_read`)."""
    database_oids: dict[str, int] = field(default_factory=dict)
    written_by_go: set[str] = field(default_factory=set)
    """`Kind/name` of every object whose fields the Go operator's manager owns through Update."""


@dataclass
class Takeover:
    plane: ControlPlane
    namespace: str
    postgres: PostgresServer
    before: Before
    operator: RunningOperator


# -- what the Go operator leaves behind ----------------------------------------------------------------------------


def site_secret(keys: Mapping[str, str], postgres: PostgresServer) -> dict[str, str]:
    """The site secret the Go operator read (it is also the workload Secret): every key its products use."""
    return {"main-database-url": postgres.admin_url_without_credentials, **keys}


def user_secret(name: str, namespace: str, data: Mapping[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def with_package_manager_in_s3(obj: dict[str, Any]) -> dict[str, Any]:
    """What the Go Site controller makes of `packageManager.s3Bucket`: Storage.Default S3, the bucket and the
    prefix `<site>/ppm-v0` in the PackageManager resource and in its config file."""
    obj = copy.deepcopy(obj)
    if obj["kind"] == "Site":
        obj["spec"]["packageManager"]["s3Bucket"] = PACKAGE_MANAGER_BUCKET
    elif obj["kind"] == "PackageManager":
        obj["spec"]["config"]["Storage"] = {"Default": "S3"}
        obj["spec"]["config"]["S3Storage"] = {"Bucket": PACKAGE_MANAGER_BUCKET, "Prefix": f"{SITE}/ppm-v0"}
    elif obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == f"{SITE}-packagemanager":
        obj["data"]["rstudio-pm.gcfg"] += (f"\n[Storage]\nDefault = S3\n\n[S3Storage]\n"
                                           f"Bucket = {PACKAGE_MANAGER_BUCKET}\nPrefix = {SITE}/ppm-v0\n")
    return obj


async def create_go_databases(postgres: PostgresServer, passwords: Mapping[str, str]) -> dict[str, int]:
    """Role and database `<site>_<component>` as the Go PostgresDatabase controller makes them (role with LOGIN
    PASSWORD, database with ALL privileges granted, the role granted to the admin, `public` and the product's
    schemas owned by the role) and a row in each; returns each database's oid."""
    admin = await asyncpg.connect(postgres.dsn, ssl="disable")
    oids = {}
    try:
        for component, password in passwords.items():
            name = f"{SITE}_{component}"
            await admin.execute(await admin.fetchval("SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, "
                                                     "$2::text)", name, password))
            await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.execute(f'GRANT ALL PRIVILEGES ON DATABASE "{name}" TO "{name}"')
            await admin.execute(f'GRANT "{name}" TO "{postgres.superuser}"')
            oids[component] = await admin.fetchval("SELECT oid FROM pg_database WHERE datname = $1", name)
    finally:
        await admin.close()
    base = postgres.dsn.rsplit("/", 1)[0]
    for component, password in passwords.items():
        name = f"{SITE}_{component}"
        owner = await asyncpg.connect(f"{base}/{name}", ssl="disable")
        try:
            await owner.execute(f'ALTER SCHEMA public OWNER TO "{name}"')
        finally:
            await owner.close()
        role = await asyncpg.connect(host=postgres.host, port=postgres.port, user=name, password=password,
                                     database=name, ssl="disable")
        try:
            for schema in SCHEMAS[component]:
                await role.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{name}"')
            schema = DATABASES[component]
            await role.execute(f'CREATE TABLE "{schema}".takeover_check (note text)')
            await role.execute(f'INSERT INTO "{schema}".takeover_check VALUES ($1)', ROW)
        finally:
            await role.close()
    return oids


def go_keycloak(namespace: str, postgres: PostgresServer) -> dict[str, Any]:
    """The Go operator's Keycloak resource, controlled by the Site, its database on the test server."""
    keycloak: dict[str, Any] = next(d for d in yaml.safe_load_all(GO_KEYCLOAK.read_text()) if d["kind"] == "Keycloak")
    keycloak = adapted(keycloak, namespace=namespace, database=f"{postgres.host}:{postgres.port}")
    keycloak["spec"]["db"].update({"host": postgres.host, "port": postgres.port})
    keycloak["metadata"]["ownerReferences"] = [{"apiVersion": "core.posit.team/v1beta1", "kind": "Site",
                                                "name": SITE, "controller": True, "blockOwnerDeletion": True}]
    return keycloak


def product_status(kind: str, namespace: str) -> dict[str, Any]:
    """The status the Go product controllers write (`KeySecretRef` to their `-key` Secret, Ready)."""
    component = {"Connect": "connect", "PackageManager": "packagemanager", "Workbench": "workbench"}.get(kind)
    status: dict[str, Any] = {"ready": True}
    if component:
        status["keySecretRef"] = {"name": f"{SITE}-{component}-key", "namespace": namespace}
    return status


async def leave_behind_what_the_go_operator_made(plane: ControlPlane, namespace: str,
                                                 postgres: PostgresServer) -> Before:
    database = f"{postgres.host}:{postgres.port}"

    def reference(obj: dict[str, Any]) -> dict[str, Any]:
        return with_package_manager_in_s3(adapted(obj, namespace=namespace, database=database))

    site_keys = {key: secrets.token_hex(32) for key in ("pub-secret-key", "pkg-secret-key")}
    passwords = {"connect": secrets.token_hex(16), "packagemanager": secrets.token_hex(16),
                 "workbench": secrets.token_hex(16), "keycloak": secrets.token_hex(16)}
    go_keys = GoKeys.new()
    user = await Client.from_kubeconfig(str(plane.kubeconfig), field_manager="kubectl")
    go = await Client.from_kubeconfig(str(plane.kubeconfig), field_manager=GO_FIELD_MANAGER)
    try:
        # The user's: the Site, its Secrets, the licences.
        secret = site_secret({**site_keys, "pub-db-password": passwords["connect"],
                              "pkg-db-password": passwords["packagemanager"],
                              "dev-db-password": passwords["workbench"],
                              "keycloak-db-user": f"{SITE}_keycloak", "keycloak-db-password": passwords["keycloak"]},
                             postgres)
        await user.create(user_secret(SITE, namespace, secret))
        await user.create(user_secret(f"{SITE}-db-creds", namespace,
                                      {"username": postgres.superuser, "password": postgres.password}))
        await user.create(user_secret("license", namespace, {"pc.lic": "licence", "ppm.lic": "licence",
                                                             "pw.lic": "licence"}))
        site = await user.create(reference(reference_site()))
        uids = {("Site", SITE): site["metadata"]["uid"]}
        # The Go operator's: product resources (with their status), then their children.
        for body in map(reference, reference_products()):
            created = await go.create(as_go_creates_it(body, uids))
            uids[(body["kind"], SITE)] = created["metadata"]["uid"]
            await go.replace({**created, "status": product_status(body["kind"], namespace)}, subresource="status")
        products = {kind: {"apiVersion": "core.posit.team/v1beta1", "kind": kind,
                           "metadata": {"name": SITE, "uid": uids[(kind, SITE)]}} for kind in PRODUCT_KINDS}
        for component, kind in (("connect", "Connect"), ("packagemanager", "PackageManager")):
            await go.create(key_secret(SITE, namespace, component, go_keys, products[kind], controller=False))
        workbench_database = (f"provider=postgresql\nconnection-uri=postgresql://{SITE}_workbench@{database}/"
                              f"{SITE}_workbench?sslmode=disable\npassword={passwords['workbench']}\n")
        values = {**go_keys.data("workbench"), "database.conf": workbench_database}
        for body in map(reference, reference_children()):
            if body["kind"] == "Secret":
                body = with_secret_values(body, values)
            await go.create(as_go_creates_it(body, uids))
        await go.create(as_go_creates_it(go_keycloak(namespace, postgres), uids))
    finally:
        await go.close()
        await user.close()
    oids = await create_go_databases(postgres, passwords)
    for kind, name in GO_WORKLOADS:
        await until(lambda kind=kind, name=name: (((get(plane, kind, name, namespace) or {}).get("status") or {})
                                                  .get("readyReplicas")), timeout=120,
                    what=f"the Go operator's {name} to run")
    everything = items(plane, OBJECT_KINDS, namespace)
    return Before(
        written_by_go={f"{o['kind']}/{o['metadata']['name']}" for o in everything
                       if update_fields_left(o, GO_FIELD_MANAGER)},
        claims={c["metadata"]["name"]: (c["metadata"]["uid"], c["spec"]["volumeName"])
                for c in items(plane, "pvc", namespace) if phase(c) == "Bound"},
        unbound_claims={c["metadata"]["name"]: c["metadata"]["uid"]
                        for c in items(plane, "pvc", namespace) if phase(c) == "Pending"},
        mounted_claims={w["metadata"]["name"]: claims_mounted(w) for w in workloads(plane, namespace)},
        keys=keys_read(plane, namespace),
        database_oids=oids,
    )


# -- what a user looks at ------------------------------------------------------------------------------------------


def workloads(plane: ControlPlane, namespace: str) -> list[dict[str, Any]]:
    return [*items(plane, "deployments", namespace), *items(plane, "statefulsets", namespace)]


def claims_mounted(workload: Mapping[str, Any]) -> set[str]:
    volumes = workload["spec"]["template"]["spec"].get("volumes") or []
    return {v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v}


def keys_read(plane: ControlPlane, namespace: str) -> dict[str, str]:
    """The keys each product's pods read, following their pod templates to the Secrets: Connect's encryption key
    file, Package Manager's PACKAGEMANAGER_SECRET_KEY, Workbench's cookie key and launcher key pair files."""
    def template(name: str) -> dict[str, Any]:
        template: dict[str, Any] = (get(plane, "deployment", name, namespace) or {})["spec"]["template"]
        return template

    connect, package_manager, workbench = (template(f"{SITE}-{c}") for c in ("connect", "packagemanager", "workbench"))
    found = {
        "connect secret.key": file_in_volume(plane, namespace, connect, "key-volume", "secret.key"),
        "packagemanager PACKAGEMANAGER_SECRET_KEY": env_value(plane, namespace, package_manager,
                                                              "PACKAGEMANAGER_SECRET_KEY"),
    }
    for path in ("secure-cookie-key", "launcher.pem", "launcher.pub"):
        found[f"workbench {path}"] = file_in_volume(plane, namespace, workbench, "key-volume", path)
    return {key: value for key, value in found.items() if value is not None}


def applied_by_teamop(obj: Mapping[str, Any] | None) -> bool:
    """Whether teamop has written the object (its field manager's Apply entry): before that it is the Go
    operator's object as it was."""
    entries = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return any(e.get("manager") == GO_FIELD_MANAGER and e.get("operation") == "Apply" and not e.get("subresource")
               for e in entries)


def rolled_out_by_teamop(workload: Mapping[str, Any] | None) -> bool:
    if not applied_by_teamop(workload):
        return False
    assert workload is not None
    status = workload.get("status") or {}
    replicas = workload["spec"].get("replicas", 1)
    return (status.get("observedGeneration") == workload["metadata"]["generation"]
            and status.get("updatedReplicas", 0) == replicas and status.get("readyReplicas", 0) == replicas
            and status.get("replicas", 0) == replicas)


def site_ready(plane: ControlPlane, namespace: str) -> bool:
    return bool(((get(plane, "site", SITE, namespace) or {}).get("status") or {}).get("ready"))


@pytest.fixture(scope="module")
async def takeover(controlplane: ControlPlane, postgres: PostgresServer) -> AsyncIterator[Takeover]:
    namespace = f"takeover-{uuid.uuid4().hex[:6]}"
    controlplane.kubectl("create", "namespace", namespace)
    crds = ThirdPartyCRDs(controlplane)
    await crds.install("keycloaks")
    before = await leave_behind_what_the_go_operator_made(controlplane, namespace, postgres)
    operator = await start_operator(controlplane.kubeconfig, [setup_operator], namespaces=namespace)
    scene = Takeover(controlplane, namespace, postgres, before, operator)
    try:
        # Each test waits for what it checks; this only gives teamop its time to converge first, once
        # (test_the_site_becomes_ready says whether it did).
        with contextlib.suppress(AssertionError):
            await until(lambda: site_ready(controlplane, namespace), timeout=CONVERGE_SECONDS)
        yield scene
    finally:
        await scene.operator.close()
        controlplane.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
        await crds.remove_all()


# -- what a user finds ---------------------------------------------------------------------------------------------


async def test_the_site_becomes_ready(takeover: Takeover) -> None:
    try:
        await until(lambda: site_ready(takeover.plane, takeover.namespace), timeout=SETTLE_SECONDS,
                    what="the Site to be Ready")
    except AssertionError:
        status = (get(takeover.plane, "site", SITE, takeover.namespace) or {}).get("status") or {}
        raise AssertionError(f"the Site is not Ready: {json.dumps(status, indent=1)}") from None


async def test_the_same_claims_are_bound_to_the_same_volumes(takeover: Takeover) -> None:
    now = {c["metadata"]["name"]: (c["metadata"]["uid"], c["spec"].get("volumeName"))
           for c in items(takeover.plane, "pvc", takeover.namespace)}

    assert {name: now.get(name) for name in takeover.before.claims} == takeover.before.claims


async def test_a_claim_the_go_operator_left_unbound_is_replaced_by_one_that_binds(takeover: Takeover) -> None:
    assert takeover.before.unbound_claims, "the scene has no unbound claim"

    def replaced_and_bound() -> dict[str, str] | None:
        now = {c["metadata"]["name"]: c for c in items(takeover.plane, "pvc", takeover.namespace)}
        claims = [now.get(name) for name in takeover.before.unbound_claims]
        if not all(c and phase(c) == "Bound" for c in claims):
            return None
        return {name: now[name]["metadata"]["uid"] for name in takeover.before.unbound_claims}

    uids = await until(replaced_and_bound, timeout=SETTLE_SECONDS, what="the unbound claims replaced and bound")
    assert not set(uids.values()) & set(takeover.before.unbound_claims.values())


async def test_teamops_workloads_mount_the_same_claims_under_the_same_names(takeover: Takeover) -> None:
    plane, namespace = takeover.plane, takeover.namespace

    def mounted() -> dict[str, set[str]] | None:
        live = {w["metadata"]["name"]: w for w in workloads(plane, namespace)}
        if not all(rolled_out_by_teamop(live.get(name)) for name in takeover.before.mounted_claims):
            return None
        return {name: claims_mounted(live[name]) & claims for name, claims in takeover.before.mounted_claims.items()}

    assert await until(mounted, timeout=SETTLE_SECONDS, what="teamop's workloads rolled out") == \
        takeover.before.mounted_claims


async def test_connect_package_manager_and_workbench_read_the_keys_they_read_before(takeover: Takeover) -> None:
    plane, namespace = takeover.plane, takeover.namespace
    products = [f"{SITE}-{c}" for c in ("connect", "packagemanager", "workbench")]

    await until(lambda: all(rolled_out_by_teamop(get(plane, "deployment", name, namespace)) for name in products),
                timeout=SETTLE_SECONDS, what="teamop's Connect, Package Manager and Workbench rolled out")

    assert differing(keys_read(plane, namespace), takeover.before.keys) == []
    assert set(takeover.before.keys) == {"connect secret.key", "packagemanager PACKAGEMANAGER_SECRET_KEY",
                                         "workbench secure-cookie-key", "workbench launcher.pem",
                                         "workbench launcher.pub"}
    for name in products:  # and the pods running now are those of teamop's templates
        for pod in running_pods(plane, namespace, name):
            assert pod["metadata"]["labels"].get("pod-template-hash") in current_hashes(plane, namespace, name)


def current_hashes(plane: ControlPlane, namespace: str, deployment: str) -> set[str]:
    """The pod-template-hash of the Deployment's newest ReplicaSet."""
    sets = [rs for rs in items(plane, "replicasets", namespace)
            if any(r.get("name") == deployment for r in rs["metadata"].get("ownerReferences") or [])]
    newest = max(sets, key=lambda rs: int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    return {newest["metadata"]["labels"]["pod-template-hash"]}


async def test_package_manager_and_chronicle_keep_their_s3_buckets_prefixes_and_region(takeover: Takeover) -> None:
    plane, namespace = takeover.plane, takeover.namespace

    files = {"packagemanager": "rstudio-pm.gcfg", "chronicle": "posit-chronicle.gcfg"}

    def storage() -> dict[str, dict[str, str]] | None:
        maps = {c: get(plane, "configmap", f"{SITE}-{c}", namespace) or {} for c in files}
        if not all(applied_by_teamop(m) for m in maps.values()):
            return None
        return {c: gcfg_section(maps[c]["data"][file], "S3Storage") for c, file in files.items()}

    found = await until(storage, timeout=SETTLE_SECONDS, what="teamop's Package Manager and Chronicle config files")

    assert {k: v for k, v in found["packagemanager"].items() if k != "Region"} == {
        "Bucket": PACKAGE_MANAGER_BUCKET, "Prefix": f"{SITE}/ppm-v0"}
    assert {k: found["chronicle"].get(k) for k in ("Bucket", "Prefix", "Region")} == {
        "Bucket": "example-chronicle-test-bucket", "Prefix": f"{SITE}/chr-v0", "Region": "us-east-2"}


async def test_the_same_databases_keep_their_rows(takeover: Takeover) -> None:
    plane, namespace, postgres = takeover.plane, takeover.namespace, takeover.postgres

    await until(lambda: all(((get(plane, "postgresdatabase", f"{SITE}-{c}", namespace) or {}).get("status") or {})
                            .get("ready") for c in DATABASES), timeout=SETTLE_SECONDS,
                what="teamop's PostgresDatabases ready")

    admin = await asyncpg.connect(postgres.dsn, ssl="disable")
    try:
        oids = {c: await admin.fetchval("SELECT oid FROM pg_database WHERE datname = $1", f"{SITE}_{c}")
                for c in DATABASES}
    finally:
        await admin.close()
    assert oids == takeover.before.database_oids
    base = postgres.dsn.rsplit("/", 1)[0]
    for component, schema in DATABASES.items():
        database = await asyncpg.connect(f"{base}/{SITE}_{component}", ssl="disable")
        try:
            assert await database.fetchval(f'SELECT note FROM "{schema}".takeover_check') == ROW
        finally:
            await database.close()


async def test_keycloak_keeps_its_database_login_and_schema(takeover: Takeover) -> None:
    plane, namespace = takeover.plane, takeover.namespace
    keycloak = await until(lambda: (k := get(plane, "keycloaks.k8s.keycloak.org", f"{SITE}-keycloak", namespace))
                           and applied_by_teamop(k) and k, timeout=SETTLE_SECONDS,
                           what="teamop's Keycloak resource")

    database = keycloak["spec"]["db"]
    assert database == go_keycloak(namespace, takeover.postgres)["spec"]["db"]
    assert database["schema"] == "keycloak"
    assert database["usernameSecret"] == {"name": SITE, "key": "keycloak-db-user"}


async def test_each_product_has_exactly_one_workload_with_its_pods(takeover: Takeover) -> None:
    plane, namespace = takeover.plane, takeover.namespace

    def settled() -> dict[str, list[str]] | None:
        found = {kind: sorted(w["metadata"]["name"] for w in items(plane, f"{kind.lower()}s", namespace))
                 for kind in WORKLOADS}
        names = [name for kind in WORKLOADS for name in found[kind]]
        if not all(rolled_out_by_teamop(get(plane, kind.lower(), name, namespace))
                   for kind in WORKLOADS for name in found[kind]):
            return None
        if any(len(running_pods(plane, namespace, name)) != 1 for name in names):
            return None
        return found

    assert await until(settled, timeout=SETTLE_SECONDS, what="one rolled-out workload with one pod each") == WORKLOADS


async def test_no_field_of_an_object_teamop_controls_is_left_to_the_go_operator(takeover: Takeover) -> None:
    plane, namespace = takeover.plane, takeover.namespace
    assert len(takeover.before.written_by_go) > 30, "the Go operator's objects carry its Update entries"

    def left() -> dict[str, list[dict[str, Any]]]:
        everything = items(plane, OBJECT_KINDS, namespace)
        owners = {o["metadata"]["uid"] for o in everything if o["kind"] in ("Site", *PRODUCT_KINDS)}
        controlled = [o for o in everything if o["kind"] in PRODUCT_KINDS or any(
            r.get("controller") and r.get("uid") in owners for r in o["metadata"].get("ownerReferences") or [])]
        return {f"{o['kind']}/{o['metadata']['name']}": fields for o in controlled
                if (fields := update_fields_left(o, GO_FIELD_MANAGER))}

    try:
        await until(lambda: not left(), timeout=SETTLE_SECONDS, what="the Go operator's fields taken over")
    except AssertionError:
        remaining = left()
        raise AssertionError(f"{len(remaining)} objects keep fields of the Go operator: "
                             f"{sorted(remaining)}; first: {next(iter(remaining.items()), None)}") from None


async def test_teamop_diff_finds_nothing_left_to_change(takeover: Takeover) -> None:
    """`teamop diff` (README "Moving from the Go operator"): once teamop has taken the Site over, its own dry run
    finds every object as it would make it from scratch — nothing to create, change, adopt or delete."""
    plane, namespace = takeover.plane, takeover.namespace

    def diff() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "teamop.cli", "diff", SITE, "-n", namespace,
                               "--kubeconfig", str(plane.kubeconfig)], capture_output=True, text=True, check=False)

    last: list[subprocess.CompletedProcess[str]] = []

    def nothing_left() -> bool:
        last[:] = [diff()]
        return last[0].returncode == 0

    try:
        await until(nothing_left, timeout=SETTLE_SECONDS, what="teamop diff to find no changes")
    except AssertionError:
        raise AssertionError(f"teamop diff still finds changes:\n{last[0].stdout}{last[0].stderr}") from None
    assert last[0].stdout == f"Site {SITE} (namespace {namespace}): no changes\n"
