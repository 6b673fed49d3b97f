"""Site objects for the Flightdeck tests, as the API server would return them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from teamop.flightdeck.settings import Settings

PRODUCT_SECTIONS = {"workbench": "workbench", "connect": "connect", "packagemanager": "packageManager"}
ALL_PRODUCTS = ("workbench", "connect", "packagemanager")
DOMAIN = "example.test"


def site(
    products: Iterable[str] = ALL_PRODUCTS,
    *,
    name: str = "orbit",
    namespace: str = "posit-team",
    domain: str | None = DOMAIN,
    **extra: Any,
) -> dict[str, Any]:
    """A Site with an (empty) section for each named product: a present section enables its product."""
    spec: dict[str, Any] = {PRODUCT_SECTIONS[product]: {} for product in products}
    if domain is not None:
        spec["domain"] = domain
    spec.update(extra)
    return {
        "apiVersion": "core.posit.team/v1beta1",
        "kind": "Site",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": "1"},
        "spec": spec,
    }


def settings(*, show_config: bool = False, show_academy: bool = False, site_name: str = "orbit") -> Settings:
    return Settings(
        site_name=site_name, namespace="posit-team", kubeconfig=None, host="127.0.0.1", port=0,
        show_config=show_config, show_academy=show_academy,
    )


# Values that must never reach the configuration page; `secret_site()` hides each in a different place.
SECRET_VALUES = (
    "activation-KEY-0001",
    "oidc-client-secret-0002",
    "env-value-0003",
    "url-password-0004",
    "api-token-0005",
    "ssh-key-0006",
)


def secret_site() -> dict[str, Any]:
    """A Site with secret values in the places a careless user might put them."""
    return site(
        secret={"type": "kubernetes", "vaultName": "orbit-secrets"},
        workloadSecret={"type": "kubernetes", "vaultName": "orbit-workload"},
        connect={
            "domainPrefix": "rsconnect",
            "license": {"type": "KEY", "key": SECRET_VALUES[0]},
            "auth": {"type": "oidc", "clientId": "connect-client", "clientSecret": SECRET_VALUES[1]},
            "experimentalFeatures": {"addEnv": {"HARMLESS_LOOKING": SECRET_VALUES[2]}},
        },
        workbench={
            "license": {"type": "FILE", "existingSecretName": "licenses", "existingSecretKey": "pw.lic"},
            "databricks": {"url": f"https://admin:{SECRET_VALUES[3]}@db.example.test"},
            "apiSettings": {"token": SECRET_VALUES[4]},
        },
        packageManager={
            "gitSSHKeys": [{"name": "github", "host": "github.com", "privateKey": SECRET_VALUES[5]}],
        },
    )
