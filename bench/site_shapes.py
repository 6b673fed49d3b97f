"""The two Site shapes of the end-to-end benchmark, with the Secrets each Site reads.

- `sample`: `config/samples/site-full.yaml` (Connect, Workbench, Package Manager with volumes, Chronicle,
  Flightdeck), its two Secrets (admin URL, admin credentials).
- `user`: the shape issue 22 measured: Connect with a volume, Workbench, Package Manager storing packages in S3,
  Chronicle storing in S3, Flightdeck; each Site with Secrets of its own: the site secret (admin URL and the
  product keys a user keeps there), the admin credentials, and a licence Secret mounted by Connect, Workbench and
  Package Manager.

Sites are named uniquely across namespaces: same-named Sites would share database names (COMPAT.md refuses that).
"""

from __future__ import annotations

import copy
import secrets
from pathlib import Path
from typing import Any

import yaml

from teamop.testing.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ("sample", "user")


def _secret(name: str, namespace: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "stringData": data}


def _licence(product: str, site: str) -> dict[str, str]:
    return {"type": "FILE", "existingSecretName": f"{site}-licenses", "existingSecretKey": f"{product}.lic"}


def sample_site(name: str, namespace: str, server: PostgresServer) -> list[dict[str, Any]]:
    site: dict[str, Any] = copy.deepcopy(yaml.safe_load((ROOT / "config/samples/site-full.yaml").read_text()))
    site["metadata"] = {"name": name, "namespace": namespace}
    spec = site["spec"]
    spec["domain"] = f"{name}.{namespace}.example.test"
    spec["secret"]["vaultName"] = name
    spec["workloadSecret"]["vaultName"] = name
    spec["mainDatabaseCredentialSecret"]["vaultName"] = f"{name}-db-creds"
    return [
        _secret(name, namespace, {"main-database-url": server.admin_url_without_credentials}),
        _secret(f"{name}-db-creds", namespace, {"username": server.superuser, "password": server.password}),
        site,
    ]


def user_site(name: str, namespace: str, server: PostgresServer) -> list[dict[str, Any]]:
    site: dict[str, Any] = {
        "apiVersion": "core.posit.team/v1beta1",
        "kind": "Site",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "domain": f"{name}.{namespace}.example.test",
            "ingressClass": "nginx",
            "secret": {"type": "kubernetes", "vaultName": name},
            "workloadSecret": {"type": "kubernetes", "vaultName": name},
            "mainDatabaseCredentialSecret": {"type": "kubernetes", "vaultName": f"{name}-db-creds"},
            "connect": {
                "image": "ghcr.io/rstudio/rstudio-connect:ubuntu2204-2024.12.0",
                "license": _licence("connect", name),
                "volume": {"create": True, "size": "10Gi"},
                "auth": {"type": "password"},
            },
            "workbench": {
                "image": "ghcr.io/rstudio/rstudio-workbench:ubuntu2204-2024.12.0",
                "defaultSessionImage": "ghcr.io/rstudio/r-session-complete:ubuntu2204-2024.12.0",
                "license": _licence("workbench", name),
                "auth": {"type": "password"},
            },
            "packageManager": {
                "image": "ghcr.io/rstudio/rstudio-package-manager:ubuntu2204-2024.11.0",
                "license": _licence("packagemanager", name),
                "s3Bucket": f"{name}-packages",
            },
            "chronicle": {"image": "ghcr.io/rstudio/chronicle:2024.11.0", "s3Bucket": f"{name}-chronicle"},
            "flightdeck": {"featureEnabler": {"showConfig": True}},
        },
    }
    # Product keys a user keeps in the site secret (dummy values, generated here, never printed).
    keys = {key: secrets.token_urlsafe(24) for key in ("pub-db-password", "pkg-db-password", "dev-db-password",
                                                         "pub-secret-key", "pkg-secret-key")}
    return [
        _secret(name, namespace, {"main-database-url": server.admin_url_without_credentials, **keys}),
        _secret(f"{name}-db-creds", namespace, {"username": server.superuser, "password": server.password}),
        _secret(f"{name}-licenses", namespace, {f"{product}.lic": f"licence file of {product} for {name}\n"
                                                for product in ("connect", "workbench", "packagemanager")}),
        site,
    ]


def site_objects(shape: str, name: str, namespace: str, server: PostgresServer) -> list[dict[str, Any]]:
    if shape == "sample":
        return sample_site(name, namespace, server)
    if shape == "user":
        return user_site(name, namespace, server)
    raise ValueError(f"unknown Site shape {shape!r}: {', '.join(SHAPES)}")
