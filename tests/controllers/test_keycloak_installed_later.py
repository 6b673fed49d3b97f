"""The Keycloak operator's CRD installed while a Site with Keycloak enabled runs: the Site makes its Keycloak
within seconds, without a restart and without anything else touching the Site."""

from __future__ import annotations

import pytest
from sites import InstallCRDs, condition, get, run_site, site_name
from test_site_keycloak import keycloak_of, keycloak_site

from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]


@pytest.fixture
def name() -> str:
    return site_name("q")


def keycloak_reason(plane: ControlPlane, name: str, namespace: str) -> str:
    return str(condition(get(plane, "site", name, namespace), "KeycloakReady").get("reason", ""))


async def test_a_running_site_makes_its_keycloak_once_the_keycloak_crd_is_installed(
    controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, name: str, operator: OperatorFactory,
    postgres: PostgresServer,
) -> None:
    await run_site(controlplane, operator, postgres, keycloak_site(name, namespace))
    await until(lambda: keycloak_reason(controlplane, name, namespace) == "KeycloakCRDMissing", timeout=120,
                what="the Site to say Keycloak's CRD is missing")

    await thirdparty_crds("keycloaks")

    keycloak = await keycloak_of(controlplane, name, namespace)
    assert keycloak["metadata"]["ownerReferences"][0]["kind"] == "Site"
    await until(lambda: keycloak_reason(controlplane, name, namespace) != "KeycloakCRDMissing", timeout=60,
                what="the Site to stop saying Keycloak's CRD is missing")
