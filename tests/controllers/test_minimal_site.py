"""The smallest useful Site — a domain, its Secrets and a Connect section with a licence and sign-in, no image —
runs on the real API server with every controller: Connect runs the default image."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sites import apply, condition, get, go_operator_secrets, secret

from teamop.controllers.registry import setup_operator
from teamop.products import images
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]


def minimal_site(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "core.posit.team/v1beta1",
        "kind": "Site",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "domain": f"{name}.example.test",
            "secret": {"type": "kubernetes", "vaultName": name},
            "workloadSecret": {"type": "kubernetes", "vaultName": name},
            "mainDatabaseCredentialSecret": {"type": "kubernetes", "vaultName": f"{name}-db-creds"},
            "connect": {
                "license": {"type": "FILE", "existingSecretName": f"{name}-licence",
                            "existingSecretKey": "connect.lic"},
                "auth": {"type": "password"},
            },
        },
    }


async def test_a_connect_only_site_without_an_image_is_ready_with_the_default_image(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    name = f"m{uuid.uuid4().hex[:6]}"
    apply(controlplane, *go_operator_secrets(name, namespace, postgres),
          secret(f"{name}-licence", namespace, {"connect.lic": "not a real licence"}))
    apply(controlplane, minimal_site(name, namespace))
    await operator([setup_operator], namespaces=namespace)

    site = await until(lambda: (s := get(controlplane, "site", name, namespace)) and
                       (s.get("status") or {}).get("ready") is True and s, timeout=150, what="the Site to be Ready")

    assert condition(site, "Ready")["reason"] == "AllProductsReady"
    assert sorted(site["status"]["products"]) == ["connect", "flightdeck"]
    deployment = get(controlplane, "deployment", f"{name}-connect", namespace) or {}
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == images.CONNECT_IMAGE
    connect = get(controlplane, "connect", name, namespace) or {}
    assert "image" not in connect["spec"]
    assert connect["status"]["image"] == images.CONNECT_IMAGE
