"""Keycloak of a Site on a real API server with the Keycloak operator's CRD (and Traefik's) installed, and a real
PostgreSQL: the Keycloak resource, the ServiceAccount its pods run as, its NetworkPolicy, the Middleware its Ingress
names, and its database with schema `keycloak` owned by its role. (No Keycloak operator runs: the resource is what
teamop writes.)"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sites import InstallCRDs, apply, condition, get, run_site, sample_site, secret, site_name

from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

StartKeycloakSite = Callable[..., Awaitable[None]]


@pytest.fixture
def name() -> str:
    return site_name("k")


def keycloak_site(name: str, namespace: str) -> dict[str, Any]:
    site = sample_site(name, namespace, "site-minimal")
    site["spec"].update({"keycloak": {"enabled": True}, "networkTrust": 50, "awsAccountId": "123456789012",
                         "clusterDate": "20240101"})
    return site


@pytest.fixture
def start_keycloak_site(controlplane: ControlPlane, namespace: str, name: str, thirdparty_crds: InstallCRDs,
                        operator: OperatorFactory, postgres: PostgresServer) -> StartKeycloakSite:
    """`await start_keycloak_site("keycloaks", ..., site_keys={...})`: those third-party CRDs served, then the Site
    `name` with Keycloak enabled, run by teamop (`site_keys` added to its site secret)."""
    async def start(*crds: str, site_keys: dict[str, str] | None = None) -> None:
        await thirdparty_crds(*crds)
        await run_site(controlplane, operator, postgres, keycloak_site(name, namespace), site_keys)

    return start


async def keycloak_of(plane: ControlPlane, name: str, namespace: str) -> dict[str, Any]:
    found: dict[str, Any] = await until(lambda: get(plane, "keycloaks.k8s.keycloak.org", f"{name}-keycloak",
                                                    namespace), timeout=120, what="the Keycloak resource")
    return found


async def test_the_site_makes_keycloak_with_its_schema_service_account_and_ingress_middleware(
    controlplane: ControlPlane, namespace: str, name: str, start_keycloak_site: StartKeycloakSite
) -> None:
    await start_keycloak_site("keycloaks", "middlewares")

    spec = (await keycloak_of(controlplane, name, namespace))["spec"]
    assert spec["db"]["schema"] == "keycloak"
    assert spec["db"]["database"] == f"{name}_keycloak"
    assert (spec["db"]["poolInitialSize"], spec["db"]["poolMinSize"], spec["db"]["poolMaxSize"]) == (1, 2, 5)
    assert spec["transaction"] == {"xaEnabled": True}
    assert spec["hostname"]["hostname"] == f"key.{name}.example.test"
    assert spec["ingress"]["annotations"] == {
        "traefik.ingress.kubernetes.io/router.middlewares": f"{namespace}-{name}-keycloak-forward@kubernetescrd"}
    pod = spec["unsupported"]["podTemplate"]["spec"]
    assert pod["serviceAccountName"] == f"{name}-keycloak"
    assert {"name": "KC_PROXY", "value": "edge"} in pod["containers"][0]["env"]
    account = get(controlplane, "serviceaccount", f"{name}-keycloak", namespace)
    assert account is not None
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == (
        "arn:aws:iam::123456789012:role/keycloak.20240101..posit.team")
    middleware = await until(lambda: get(controlplane, "middlewares.traefik.io", f"{name}-keycloak-forward",
                                         namespace), timeout=60, what="Keycloak's Middleware")
    assert middleware["spec"]["headers"]["customRequestHeaders"]["X-Forwarded-Host"] == f"key.{name}.example.test"
    assert middleware["metadata"]["ownerReferences"][0]["kind"] == "Site"


async def test_keycloaks_resource_and_middleware_deleted_by_hand_are_made_again(
    controlplane: ControlPlane, namespace: str, name: str, start_keycloak_site: StartKeycloakSite
) -> None:
    await start_keycloak_site("keycloaks", "middlewares")
    objects = [("keycloaks.k8s.keycloak.org", f"{name}-keycloak"),
               ("middlewares.traefik.io", f"{name}-keycloak-forward")]

    def uids() -> dict[str, str | None]:
        found = {kind: get(controlplane, kind, object_name, namespace) for kind, object_name in objects}
        return {kind: obj["metadata"]["uid"] if obj else None for kind, obj in found.items()}

    def all_made() -> dict[str, str | None] | None:
        now = uids()
        return now if all(now.values()) else None

    first = await until(all_made, timeout=120, what="Keycloak's resource and Middleware")

    for kind, object_name in objects:
        controlplane.kubectl("delete", kind, object_name, "-n", namespace, "--wait=false")

    def made_again() -> bool:
        return all(uid is not None and uid != first[kind] for kind, uid in uids().items())

    await until(made_again, timeout=60, what="Keycloak's resource and Middleware made again")


async def test_turning_keycloak_off_deletes_its_resource_middleware_and_service_account(
    controlplane: ControlPlane, namespace: str, name: str, start_keycloak_site: StartKeycloakSite
) -> None:
    await start_keycloak_site("keycloaks", "middlewares")
    await keycloak_of(controlplane, name, namespace)
    await until(lambda: get(controlplane, "middlewares.traefik.io", f"{name}-keycloak-forward", namespace),
                timeout=60, what="Keycloak's Middleware")

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge",
                         "-p", '{"spec": {"keycloak": {"enabled": false}}}')

    gone = [("keycloaks.k8s.keycloak.org", f"{name}-keycloak"), ("middlewares.traefik.io", f"{name}-keycloak-forward"),
            ("serviceaccount", f"{name}-keycloak"), ("networkpolicy", f"{name}-keycloak")]
    await until(lambda: all(get(controlplane, kind, object_name, namespace) is None for kind, object_name in gone),
                timeout=60, what="Keycloak's objects deleted")


async def test_keycloak_pods_get_a_network_policy_at_network_trust_50(
    controlplane: ControlPlane, namespace: str, name: str, start_keycloak_site: StartKeycloakSite
) -> None:
    await start_keycloak_site("keycloaks")

    policy = await until(lambda: get(controlplane, "networkpolicy", f"{name}-keycloak", namespace), timeout=120,
                         what="Keycloak's NetworkPolicy")
    assert policy["spec"]["podSelector"] == {
        "matchLabels": {"app": "keycloak", "app.kubernetes.io/instance": f"{name}-keycloak"}}
    assert policy["metadata"]["ownerReferences"][0]["name"] == name


async def test_keycloaks_database_has_schema_keycloak_owned_by_its_role(
    controlplane: ControlPlane, namespace: str, name: str, start_keycloak_site: StartKeycloakSite,
    postgres: PostgresServer,
) -> None:
    await start_keycloak_site("keycloaks")

    await until(lambda: ((get(controlplane, "postgresdatabase", f"{name}-keycloak", namespace) or {})
                         .get("status") or {}).get("ready") is True, timeout=120, what="Keycloak's database")
    database = postgres.dsn.rsplit("/", 1)[0] + f"/{name}_keycloak"
    connection = await asyncpg.connect(database, ssl="disable")
    try:
        owner = await connection.fetchval(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'keycloak'")
    finally:
        await connection.close()
    assert owner == f"{name}_keycloak"


async def test_keycloak_reads_its_role_from_the_site_secret_when_it_has_keycloak_db_user(
    controlplane: ControlPlane, namespace: str, name: str, start_keycloak_site: StartKeycloakSite
) -> None:
    await start_keycloak_site(
        "keycloaks", site_keys={"keycloak-db-user": f"{name}_keycloak", "keycloak-db-password": uuid.uuid4().hex})

    db = (await keycloak_of(controlplane, name, namespace))["spec"]["db"]
    assert db["usernameSecret"] == {"name": name, "key": "keycloak-db-user"}
    assert db["passwordSecret"] == {"name": name, "key": "keycloak-db-password"}


async def test_without_the_traefik_crd_keycloak_runs_and_the_site_names_the_missing_crd(
    controlplane: ControlPlane, namespace: str, name: str, start_keycloak_site: StartKeycloakSite
) -> None:
    await start_keycloak_site("keycloaks")

    spec = (await keycloak_of(controlplane, name, namespace))["spec"]
    assert spec["ingress"]["annotations"] == {
        "traefik.ingress.kubernetes.io/router.middlewares": f"{namespace}-{name}-keycloak-forward@kubernetescrd"}
    missing = await until(lambda: condition(get(controlplane, "site", name, namespace), "TraefikMiddlewares") or None,
                          timeout=60, what="the Site's TraefikMiddlewares condition")
    assert (missing["status"], missing["reason"]) == ("False", "CRDNotInstalled")
    assert "middlewares.traefik.io" in missing["message"]
    assert "keycloak" in missing["message"]


async def test_with_aws_secrets_keycloaks_login_is_synced_by_the_csi_driver_and_its_database_follows(
    controlplane: ControlPlane, namespace: str, name: str, thirdparty_crds: InstallCRDs, operator: OperatorFactory,
    postgres: PostgresServer,
) -> None:
    await thirdparty_crds("keycloaks", "secretproviderclasses")
    site = keycloak_site(name, namespace)
    site["spec"]["secret"] = {"type": "aws", "vaultName": f"{name}.sites.posit.team"}
    await run_site(controlplane, operator, postgres, site)

    db = (await keycloak_of(controlplane, name, namespace))["spec"]["db"]
    assert db["usernameSecret"] == {"name": f"{name}-keycloak-db-login", "key": "keycloak-db-user"}
    assert db["passwordSecret"] == {"name": f"{name}-keycloak-db-login", "key": "keycloak-db-password"}
    provider_class = await until(lambda: get(controlplane, "secretproviderclasses.secrets-store.csi.x-k8s.io",
                                             f"{name}-keycloak", namespace), timeout=60,
                                 what="Keycloak's SecretProviderClass")
    assert provider_class["spec"]["secretObjects"][0]["secretName"] == f"{name}-keycloak-db-login"
    consumer = await until(lambda: get(controlplane, "deployment", f"{name}-keycloak-spc-consumer", namespace),
                           timeout=60, what="the Deployment mounting Keycloak's SecretProviderClass")
    volumes = consumer["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["csi"]["volumeAttributes"] == {"secretProviderClass": f"{name}-keycloak"}

    # No CSI driver runs here: the test syncs the Secret as the driver would.
    password = uuid.uuid4().hex
    apply(controlplane, secret(f"{name}-keycloak-db-login", namespace,
                               {"keycloak-db-user": f"{name}_keycloak", "keycloak-db-password": password}))
    await until(lambda: ((get(controlplane, "postgresdatabase", f"{name}-keycloak", namespace) or {})
                         .get("status") or {}).get("ready") is True, timeout=120, what="Keycloak's database")
    role = await asyncpg.connect(host=postgres.host, port=postgres.port, user=f"{name}_keycloak", password=password,
                                 database=f"{name}_keycloak", ssl="disable")
    await role.close()
