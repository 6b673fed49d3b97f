"""Site manifests, the Go operator's Secrets, and a Site run by teamop's controllers, for controller tests (not a
test module)."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

from teamop.controllers.registry import setup_operator
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory, RunningOperator
from teamop.testing.postgres import PostgresServer

SAMPLES = Path(__file__).resolve().parents[2] / "config" / "samples"
InstallCRDs = Callable[..., Awaitable[None]]
"""The `thirdparty_crds` fixture: `await thirdparty_crds("middlewares", ...)`."""


def site_name(prefix: str) -> str:
    """A Site name of its own (Sites of one name share their databases on the test server)."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def sample_site(name: str, namespace: str, sample: str = "site-full") -> dict[str, Any]:
    """A sample Site renamed to `name`, its Secrets named after it."""
    site: dict[str, Any] = copy.deepcopy(yaml.safe_load((SAMPLES / f"{sample}.yaml").read_text()))
    site["metadata"] = {"name": name, "namespace": namespace}
    spec = site["spec"]
    spec["domain"] = f"{name}.example.test"
    spec["secret"]["vaultName"] = name
    spec["workloadSecret"]["vaultName"] = name
    spec["mainDatabaseCredentialSecret"]["vaultName"] = f"{name}-db-creds"
    return site


def secret(name: str, namespace: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def go_operator_secrets(site: str, namespace: str, server: PostgresServer,
                        site_keys: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The workload Secret (also the site secret, as in the reference's test site) and the credential Secret."""
    return [
        secret(site, namespace, {"main-database-url": server.admin_url_without_credentials, **(site_keys or {})}),
        secret(f"{site}-db-creds", namespace, {"username": server.superuser, "password": server.password}),
    ]


def apply(plane: ControlPlane, *objects: dict[str, Any]) -> None:
    plane.kubectl("apply", "--server-side", "-f", "-",
                  input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))


def get(plane: ControlPlane, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    result = plane.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    if result.returncode != 0:
        return None
    obj: dict[str, Any] = json.loads(result.stdout)
    return obj


def condition(obj: dict[str, Any] | None, type_: str) -> dict[str, Any]:
    for item in ((obj or {}).get("status") or {}).get("conditions") or []:
        if item["type"] == type_:
            return dict(item)
    return {}


def site_ready(plane: ControlPlane, name: str, namespace: str) -> bool:
    site = get(plane, "site", name, namespace)
    return bool(site and (site.get("status") or {}).get("ready") is True)


async def run_site(plane: ControlPlane, operator: OperatorFactory, postgres: PostgresServer, site: dict[str, Any],
                   site_keys: dict[str, str] | None = None) -> RunningOperator:
    """The Go operator's Secrets for `site` (`site_keys` added to the site secret), the Site, and teamop's
    controllers watching its namespace."""
    name, namespace = site["metadata"]["name"], site["metadata"]["namespace"]
    apply(plane, *go_operator_secrets(name, namespace, postgres, site_keys))
    apply(plane, site)
    return await operator([setup_operator], namespaces=namespace)
