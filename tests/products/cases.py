"""Specs and render contexts the product tests use: the reference's test Site, a minimal spec and a full one
of each product."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from teamop.api.v1beta1 import ChronicleSpec, ConnectSpec, PackageManagerSpec
from teamop.products.context import ChronicleAgent, RenderContext, SecretKeyRef
from teamop.products.database import database_target

REFERENCE = Path(__file__).parents[1] / "reference" / "rendered"
REFERENCE_OBJECTS = REFERENCE / "test_site"
SITE = "test"
NAMESPACE = "posit-team"
SITE_SECRET = "test"


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def reference_object(kind: str, name: str) -> dict[str, Any]:
    return load(REFERENCE_OBJECTS / f"{kind}-{name}.yaml")


def reference_spec(kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = load(REFERENCE / f"{kind}-test.yaml")["spec"]
    return spec


def site_secret(*keys: str) -> dict[str, SecretKeyRef]:
    return {key: SecretKeyRef(SITE_SECRET, key) for key in keys}


def context(component: str | None, *keys: str, chronicle: ChronicleAgent | None = None) -> RenderContext:
    database = None
    if component is not None:
        password_key = {"connect": "pub-db-password", "packagemanager": "pkg-db-password"}[component]
        database = database_target(
            SITE, component, host="postgres.example.test", port=5432, sslmode="disable",
            password=SecretKeyRef(SITE_SECRET, password_key),
        )
    return RenderContext(
        site=SITE, namespace=NAMESPACE, secrets=site_secret(*keys), database=database, chronicle=chronicle
    )


CONNECT_KEYS = ("pub-db-password", "pub-secret-key")
PACKAGE_MANAGER_KEYS = ("pkg-db-password", "pkg-secret-key")
AGENT = ChronicleAgent(image="ghcr.io/posit-dev/chronicle-agent:2025.03.0",
                       server_url="http://test-chronicle.posit-team.svc.cluster.local")

OIDC_AUTH: dict[str, Any] = {
    "type": "oidc",
    "clientId": "connect-client",
    "issuer": "https://idp.example.test/realms/posit",
    "usernameClaim": "preferred_username",
    "emailClaim": "email",
    "uniqueIdClaim": "sub",
    "groups": True,
    "groupsClaim": "groups",
    "scopes": ["openid", "profile", "email", "groups"],
    "viewerRoleMapping": ["viewers"],
    "publisherRoleMapping": ["publishers"],
    "administratorRoleMapping": ["admins"],
}
SAML_AUTH: dict[str, Any] = {
    "type": "saml",
    "samlMetadataUrl": "https://idp.example.test/saml/metadata",
    "samlUsernameAttribute": "uid",
    "samlFirstNameAttribute": "givenName",
    "samlLastNameAttribute": "sn",
    "samlEmailAttribute": "mail",
    "administratorRoleMapping": ["admins"],
}


def minimal_connect() -> dict[str, Any]:
    return {"image": "ghcr.io/rstudio/rstudio-connect:2025.01.0", "url": "connect.example.test"}


def full_connect() -> dict[str, Any]:
    spec = copy.deepcopy(reference_spec("Connect"))
    config = spec["config"]
    config["Server"].update({
        "EmailProvider": "SMTP", "SenderEmail": "connect@example.test",
        "LoggedInWarning": "Internal use only; be careful", "PublicWarning": "Public page",
    })
    config["Scheduler"].update({"NvidiaGPULimit": 1, "MaxNvidiaGPULimit": 2})
    spec.update({
        "auth": OIDC_AUTH,
        "replicas": 2,
        "chronicleSidecarProductApiKeyEnabled": True,
        "addEnv": {"EXTRA": "1", "RSC_LICENSE_FILE_PATH": "/etc/rstudio-connect/license.lic"},
        "nodeSelector": {"pool": "apps"},
        "ingressClass": "traefik",
        "ingressAnnotations": {"example.test/owner": "posit"},
        "additionalVolumes": [{"pvcName": "shared-data", "mountPath": "/mnt/shared", "readOnly": True}],
        "dsnSecret": "odbc-dsn",
        "sessionImage": "ghcr.io/rstudio/rstudio-connect-content-init:ubuntu2204-2025.01.0",
        "debug": True,
    })
    spec["sessionConfig"]["pod"]["tolerations"] = [{"key": "sessions", "operator": "Exists", "effect": "NoSchedule"}]
    return spec


def connect_cases() -> dict[str, tuple[dict[str, Any], RenderContext]]:
    full_keys = (*CONNECT_KEYS, "pub-client-secret", "pub-chronicle-api-key", "pub-smtp-host", "pub-smtp-port",
                 "pub-smtp-user", "pub-smtp-password")
    return {
        "minimal": (minimal_connect(), context("connect", *CONNECT_KEYS)),
        "reference": (reference_spec("Connect"), context("connect", *CONNECT_KEYS)),
        "full": (full_connect(), context("connect", *full_keys, chronicle=AGENT)),
        "password": ({**minimal_connect(), "auth": {"type": "password"}}, context("connect", *CONNECT_KEYS)),
        "oidc": ({**minimal_connect(), "auth": OIDC_AUTH}, context("connect", *CONNECT_KEYS, "pub-client-secret")),
        "saml": ({**minimal_connect(), "auth": SAML_AUTH}, context("connect", *CONNECT_KEYS)),
        "license-key": (
            {**minimal_connect(), "license": {"type": "KEY", "key": "AAAA-BBBB-CCCC"}},
            context("connect", *CONNECT_KEYS),
        ),
    }


def minimal_packagemanager() -> dict[str, Any]:
    return {"image": "ghcr.io/rstudio/rstudio-package-manager:2024.11.0", "url": "packages.example.test"}


def full_packagemanager() -> dict[str, Any]:
    spec = copy.deepcopy(reference_spec("PackageManager"))
    spec["config"]["S3Storage"] = {"Bucket": "example-packages", "Region": "us-east-2", "Prefix": "test/ppm"}
    spec.update({
        "replicas": 3,
        "addEnv": {"EXTRA": "1"},
        "nodeSelector": {"pool": "apps"},
        "ingressClass": "nginx",
        "gitSSHKeys": [
            {"name": "github", "host": "github.com", "secretRef": {"source": "kubernetes", "name": "git-keys",
                                                                    "key": "github"}},
            {"name": "gitlab", "host": "gitlab.example.test", "secretRef": {"source": "kubernetes",
                                                                             "name": "gitlab-key"}},
            {"name": "vault", "host": "git.example.test", "secretRef": {"source": "aws-secrets-manager",
                                                                         "name": "vault-key"}},
        ],
    })
    return spec


def packagemanager_cases() -> dict[str, tuple[dict[str, Any], RenderContext]]:
    return {
        "minimal": (minimal_packagemanager(), context("packagemanager", *PACKAGE_MANAGER_KEYS)),
        "reference": (reference_spec("PackageManager"), context("packagemanager", *PACKAGE_MANAGER_KEYS)),
        "full": (full_packagemanager(), context("packagemanager", *PACKAGE_MANAGER_KEYS)),
        "azure-files": (
            {**minimal_packagemanager(), "azureFiles": {"storageClassName": "azurefile-csi", "shareSizeGiB": 200}},
            context("packagemanager", *PACKAGE_MANAGER_KEYS),
        ),
    }


def chronicle_cases() -> dict[str, tuple[dict[str, Any], RenderContext]]:
    return {
        "minimal": ({"image": "ghcr.io/posit-dev/chronicle:2025.03.0"}, context(None)),
        "reference": (reference_spec("Chronicle"), context(None)),
    }


SPEC_MODELS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "connect": ConnectSpec.model_validate,
    "packagemanager": PackageManagerSpec.model_validate,
    "chronicle": ChronicleSpec.model_validate,
}
