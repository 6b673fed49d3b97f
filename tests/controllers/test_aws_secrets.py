"""A Site of an AWS user (`secret.type: aws`) on the real API server: the products own the Go operator's
SecretProviderClasses, their pods mount the CSI volume and read the Secrets the driver syncs. No CSI driver runs
here: the test plays it, creating the synced Secrets, and then the products become Ready.

The expected objects are the ones written by hand for the Site `test` (tests/reference/aws), renamed after each
test's Site (Sites of one name would share their databases on the test server)."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sites import InstallCRDs, apply, condition, get, run_site, secret, site_name

from teamop.controllers.registry import setup_operator
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

EXPECTED = Path(__file__).parents[1] / "reference" / "aws"
CRD = "secretproviderclasses.secrets-store.csi.x-k8s.io"
PRODUCTS = {"connect": "connect", "workbench": "workbench", "packagemanager": "packagemanager"}


def load(path: Path, site: str) -> Any:
    """A file of tests/reference/aws with the Site `test` renamed `site`."""
    text = path.read_text()
    for component in ("connect", "workbench", "packagemanager"):
        text = text.replace(f"test-{component}", f"{site}-{component}")
    text = text.replace("posit.team/site: test\n", f"posit.team/site: {site}\n")
    text = text.replace("orbit-test-ssh-ppm-keys", f"orbit-{site}-ssh-ppm-keys")
    return yaml.safe_load(text)


def aws_site(name: str, namespace: str) -> dict[str, Any]:
    site: dict[str, Any] = load(EXPECTED / "site" / "Site-test.yaml", name)
    site["metadata"] = {"name": name, "namespace": namespace}
    site["spec"]["domain"] = f"{name}.example.test"
    site["spec"]["workloadSecret"]["vaultName"] = name
    site["spec"]["mainDatabaseCredentialSecret"]["vaultName"] = f"{name}-db-creds"
    return site


def labels(site: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/instance": f"{site}-{component}", "app.kubernetes.io/managed-by": "team-operator",
            "app.kubernetes.io/name": {"packagemanager": "package-manager"}.get(component, component),
            "posit.team/component": {"packagemanager": "package-manager"}.get(component, component),
            "posit.team/site": site}


def synced(site: str, suffix: str, namespace: str, component: str, data: dict[str, str]) -> dict[str, Any]:
    """A Secret as the CSI driver syncs it: the SecretProviderClass's secretObjects labels, the vault's values."""
    body = secret(f"{site}-{component}-{suffix}", namespace, data)
    body["metadata"]["labels"] = labels(site, component)
    return body


def driver_synced_secrets(site: str, namespace: str) -> list[dict[str, Any]]:
    """What the driver would sync for site/Site-test.yaml (test values, not real keys)."""
    return [
        synced(site, "secret-key", namespace, "connect", {"secret.key": "00" * 32}),
        synced(site, "db", namespace, "connect", {"password": "connect-db-pass", "license": "lic"}),
        synced(site, "chronicle", namespace, "connect", {"pub-chronicle-api-key": "chronicle-key"}),
        synced(site, "secret", namespace, "workbench", {
            "dev-db-password": "workbench-db-pass", "snowflake-client-secret": "snow",
            "dev-chronicle-api-key": "chronicle-key"}),
        synced(site, "client-secret", namespace, "workbench", {"client-secret": "oidc-client-secret"}),
        synced(site, "key", namespace, "packagemanager", {"key": "ab" * 32}),
        synced(site, "db", namespace, "packagemanager", {"password": "pm-db-pass", "license": "lic"}),
    ]


def comparable(provider_class: dict[str, Any]) -> dict[str, Any]:
    """A SecretProviderClass as kubectl shows it, with what the reference orders by Go map iteration as sets."""
    spec = provider_class["spec"]
    (entry,) = yaml.safe_load(spec["parameters"]["objects"])
    return {
        "name": provider_class["metadata"]["name"],
        "labels": {k: v for k, v in provider_class["metadata"]["labels"].items()},
        "provider": spec["provider"],
        "region": spec["parameters"]["region"],
        "object": {k: v for k, v in entry.items() if k != "jmesPath"},
        "jmesPath": {(item["objectAlias"], item["path"]) for item in entry.get("jmesPath", [])},
        "secretObjects": {
            obj["secretName"]: (obj["type"], json.dumps(obj["labels"], sort_keys=True),
                                frozenset((d["objectName"], d["key"]) for d in obj["data"]))
            for obj in spec.get("secretObjects") or []
        },
    }


def expected_provider_classes(site: str) -> dict[str, dict[str, Any]]:
    files = [EXPECTED / "site" / "SecretProviderClass-test-connect-secrets.yaml",
             *(EXPECTED / f"SecretProviderClass-test-{name}.yaml"
               for name in ("workbench-secrets", "packagemanager-secrets", "packagemanager-ssh-secrets"))]
    bodies = [load(path, site) for path in files]
    return {body["metadata"]["name"]: comparable(body) for body in bodies}


def server_pod(plane: ControlPlane, site: str, component: str, namespace: str) -> dict[str, Any]:
    deployment = get(plane, "deployment", f"{site}-{component}", namespace) or {}
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return pod


def product_condition(plane: ControlPlane, kind: str, site: str, namespace: str, type_: str) -> dict[str, Any]:
    return condition(get(plane, kind, site, namespace), type_)


async def wait_for_provider_classes(plane: ControlPlane, namespace: str, names: list[str]) -> None:
    for name in names:
        await until(lambda name=name: get(plane, "secretproviderclass", name, namespace), timeout=120,
                    what=f"SecretProviderClass {name}")


@pytest.fixture
async def running_aws_site(controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str,
                           operator: OperatorFactory, postgres: PostgresServer) -> str:
    """The name of the AWS user's Site (site/Site-test.yaml), run by teamop with the CSI driver's CRD served."""
    await thirdparty_crds("secretproviderclasses")
    name = site_name("a")
    await run_site(controlplane, operator, postgres, aws_site(name, namespace))
    return name


async def test_products_own_the_reference_secret_provider_classes(
    controlplane: ControlPlane, namespace: str, running_aws_site: str
) -> None:
    name = running_aws_site
    expected = expected_provider_classes(name)
    await wait_for_provider_classes(controlplane, namespace, sorted(expected))

    for class_name, want in expected.items():
        live = get(controlplane, "secretproviderclass", class_name, namespace) or {}
        assert comparable(live) == want, class_name
        owner = live["metadata"]["ownerReferences"][0]
        kind = {"connect": "Connect", "workbench": "Workbench"}.get(class_name.split("-")[1], "PackageManager")
        assert (owner["kind"], owner["name"], owner["controller"]) == (kind, name, True)


async def test_server_pods_mount_the_csi_volume_and_read_the_synced_secrets(
    controlplane: ControlPlane, namespace: str, running_aws_site: str
) -> None:
    name = running_aws_site
    pods = load(EXPECTED / "pods.yaml", name)
    for component in PRODUCTS:
        await until(lambda c=component: get(controlplane, "deployment", f"{name}-{c}", namespace), timeout=120,
                    what=f"the {component} Deployment")
        pod = server_pod(controlplane, name, component, namespace)
        container = pod["containers"][0]
        want = pods[component]
        assert sorted((v for v in pod["volumes"] if "csi" in v), key=lambda v: str(v["name"])) == sorted(
            (v for v in want["volumes"] if "csi" in v), key=lambda v: str(v["name"]))
        for volume in want["volumes"]:
            assert volume in pod["volumes"]
        for mount in want["mounts"]:
            assert mount in container["volumeMounts"]
        for env in want["env"]:
            if not env["name"].startswith("CONNECT_SMTP_"):  # a Site cannot set Connect's EmailProvider
                assert env in container["env"]


async def test_products_wait_for_the_driver_to_sync_their_secrets_then_become_ready(
    controlplane: ControlPlane, namespace: str, running_aws_site: str
) -> None:
    name = running_aws_site

    waiting = await until(
        lambda: (c := product_condition(controlplane, "connect", name, namespace, "SecretsSynced")) and
        c.get("reason") == "WaitingForSecretSync" and c, timeout=120, what="Connect waiting for its Secrets")
    assert f"{name}-connect-db" in waiting["message"]
    assert f"{name}-connect-secret-key" in waiting["message"]
    assert get(controlplane, "connect", name, namespace)["status"]["ready"] is False  # type: ignore[index]

    apply(controlplane, *driver_synced_secrets(name, namespace))
    site = await until(lambda: (s := get(controlplane, "site", name, namespace)) and
                       (s.get("status") or {}).get("ready") is True and s, timeout=240, what="the Site Ready")
    assert condition(site, "Ready")["reason"] == "AllProductsReady"
    for kind in ("connect", "workbench", "packagemanager"):
        assert product_condition(controlplane, kind, name, namespace, "SecretsSynced")["status"] == "True"


async def test_workbench_writes_the_synced_oidc_client_secret_into_its_config(
    controlplane: ControlPlane, namespace: str, running_aws_site: str
) -> None:
    name = running_aws_site
    apply(controlplane, *driver_synced_secrets(name, namespace))

    def client_secret_file() -> str | None:
        config = get(controlplane, "secret", f"{name}-workbench-config", namespace) or {}
        encoded = (config.get("data") or {}).get("openid-client-secret")
        text = base64.b64decode(encoded).decode() if encoded else ""
        return text if "client-secret=" in text else None  # written without it until the synced Secret is seen

    text = await until(client_secret_file, timeout=120, what="the client secret in the workbench config")
    assert "client-secret=oidc-client-secret" in text


async def test_a_deleted_secret_provider_class_is_recreated(
    controlplane: ControlPlane, namespace: str, running_aws_site: str
) -> None:
    name = running_aws_site
    class_name = f"{name}-connect-secrets"
    await wait_for_provider_classes(controlplane, namespace, [class_name])
    uid = (get(controlplane, "secretproviderclass", class_name, namespace) or {})["metadata"]["uid"]

    controlplane.kubectl("delete", "secretproviderclass", class_name, "-n", namespace)

    recreated = await until(
        lambda: (s := get(controlplane, "secretproviderclass", class_name, namespace)) and
        s["metadata"]["uid"] != uid and s, timeout=120, what=f"{class_name} recreated")
    assert comparable(recreated) == expected_provider_classes(name)[class_name]


async def test_without_the_csi_drivers_crd_the_products_name_it_and_the_rest_of_the_site_runs(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    name = site_name("a")
    site = aws_site(name, namespace)
    site["spec"] = {key: value for key, value in site["spec"].items() if key not in ("workbench", "packageManager")}
    site["spec"]["flightdeck"] = {}
    await run_site(controlplane, operator, postgres, site)

    missing = await until(
        lambda: (c := product_condition(controlplane, "connect", name, namespace, "SecretsSynced")) and
        c.get("reason") == "SecretProviderClassCRDMissing" and c, timeout=120, what="Connect naming the CRD")
    assert CRD in missing["message"]
    site_now = await until(
        lambda: (s := get(controlplane, "site", name, namespace) or {}) and
        ((s.get("status") or {}).get("products") or {}).get("flightdeck", {}).get("ready") and
        CRD in s["status"]["products"]["connect"].get("message", "") and s, timeout=180,
        what="Flightdeck Ready and the Site naming the CRD for Connect")
    assert site_now["status"]["products"]["connect"]["ready"] is False
    assert CRD in condition(site_now, "Degraded")["message"]
    assert get(controlplane, "deployment", f"{name}-connect", namespace) is not None


async def test_an_admin_login_of_type_aws_is_read_from_the_secret_the_driver_syncs(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    """workloadSecret of type aws: the admin URL comes from the Secret `rds-db-test` (the vault name made a
    Secret name) that the platform's SecretProviderClass syncs; until it exists the Site says so."""
    name = site_name("a")
    site = copy.deepcopy(aws_site(name, namespace))
    site["spec"]["secret"] = {"type": "kubernetes", "vaultName": name}
    site["spec"]["workloadSecret"] = {"type": "aws", "vaultName": "rds!db-test"}
    site["spec"] = {key: value for key, value in site["spec"].items() if key not in ("workbench", "packageManager")}
    site["spec"]["connect"] = {"auth": {"type": "password"}}
    apply(controlplane, secret(f"{name}-db-creds", namespace,
                               {"username": postgres.superuser, "password": postgres.password}),
          secret(name, namespace, {"unused": "x"}))
    apply(controlplane, site)
    await operator([setup_operator], namespaces=namespace)

    waiting = await until(
        lambda: (c := condition(get(controlplane, "site", name, namespace), "DatabaseConfigured")) and
        c.get("reason") == "WaitingForSecretSync" and c, timeout=120, what="the Site waiting for rds-db-test")
    assert "rds-db-test" in waiting["message"]

    apply(controlplane, secret("rds-db-test", namespace, {"main-database-url": postgres.admin_url_without_credentials}))
    await until(lambda: (d := get(controlplane, "postgresdatabase", f"{name}-connect", namespace)) and
                (d.get("status") or {}).get("ready") is True, timeout=180, what="Connect's database provisioned")


async def test_moving_a_sites_secrets_to_aws_keeps_the_keys_teamop_generated_before(
    controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, operator: OperatorFactory,
    postgres: PostgresServer,
) -> None:
    name = site_name("a")
    site = aws_site(name, namespace)
    site["spec"] = {key: value for key, value in site["spec"].items() if key not in ("workbench", "packageManager")}
    site["spec"]["secret"] = {"type": "kubernetes", "vaultName": name}
    site["spec"]["connect"] = {"auth": {"type": "password"}}
    await thirdparty_crds("secretproviderclasses")
    await run_site(controlplane, operator, postgres, site)
    generated = await until(lambda: get(controlplane, "secret", f"{name}-connect-generated", namespace), timeout=120,
                            what="Connect's generated keys")

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge",
                         "-p", json.dumps({"spec": {"secret": {"type": "aws", "vaultName": "moved.posit.team"}}}))
    await wait_for_provider_classes(controlplane, namespace, [f"{name}-connect-secrets"])

    kept = get(controlplane, "secret", f"{name}-connect-generated", namespace)
    assert kept is not None
    assert kept["metadata"]["uid"] == generated["metadata"]["uid"]
    assert kept["data"] == generated["data"]
