"""Workbench specs and render contexts the Workbench tests use: the reference's Workbench CR for its test Site,
and Workbench specs derived from Sites (minimal, and full ones per authentication type)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from teamop.api.v1beta1.site import SiteSpec
from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.context import ChronicleAgent, RenderContext, SecretKeyRef
from teamop.products.database import database_target
from teamop.products.naming import generated_secret_name
from teamop.products.workbench import SiteInputs, render, secret_needs, workbench_spec_from_site
from teamop.products.workbench.render import WorkbenchRendered

REFERENCE = Path(__file__).parents[2] / "reference" / "rendered"
REFERENCE_OBJECTS = REFERENCE / "test_site"
SITE = "test"
NAMESPACE = "posit-team"
SITE_SECRET = "test"
GENERATED = generated_secret_name(SITE, "workbench")
IMAGE = "ghcr.io/rstudio/rstudio-workbench:ubuntu2204-2025.05.0"
AGENT = ChronicleAgent(
    image="ghcr.io/posit-dev/chronicle-agent:2025.03.0",
    server_url="http://test-chronicle.posit-team.svc.cluster.local",
)


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def reference_object(kind: str, name: str) -> dict[str, Any]:
    return load(REFERENCE_OBJECTS / f"{kind}-{name}.yaml")


def reference_workbench_spec() -> WorkbenchSpec:
    return WorkbenchSpec.model_validate(load(REFERENCE / "Workbench-test.yaml")["spec"])


def reference_site() -> dict[str, Any]:
    return load(REFERENCE / "Site-test.yaml")["spec"]


def context_for(
    spec: WorkbenchSpec, *, site_keys: Iterable[str] = ("dev-db-password",), chronicle: ChronicleAgent | None = None
) -> RenderContext:
    """The keys the spec needs, resolved as the controller does: those in `site_keys` from the site secret, the
    others generated — except keys only another system issues, which stay unresolved."""
    in_site = set(site_keys)
    secrets = {
        need.key: SecretKeyRef(SITE_SECRET if need.key in in_site else GENERATED, need.key)
        for need in secret_needs(spec)
        if need.key in in_site or need.generate
    }
    for key in in_site - set(secrets):
        secrets[key] = SecretKeyRef(SITE_SECRET, key)
    database = database_target(
        SITE,
        "workbench",
        host="postgres.example.test",
        port=5432,
        sslmode="disable",
        password=secrets["dev-db-password"],
    )
    return RenderContext(site=SITE, namespace=NAMESPACE, secrets=secrets, database=database, chronicle=chronicle)


INPUTS = SiteInputs(SITE, database_host="postgres.example.test:5432", ssl_mode="disable")


def spec_from_site(site: dict[str, Any], inputs: SiteInputs = INPUTS) -> WorkbenchSpec:
    return workbench_spec_from_site(SiteSpec.model_validate(site), inputs)


def minimal_site() -> dict[str, Any]:
    return {"domain": "example.test", "workbench": {"image": IMAGE}}


def oidc_site() -> dict[str, Any]:
    """OIDC, resource profiles and request ratios, session scheduling, IDE settings, Chronicle, two replicas."""
    site = copy.deepcopy(reference_site())
    site["sharedDirectory"] = "team"
    site["ingressClass"] = "traefik"
    site["ingressAnnotations"] = {"example.test/owner": "data-science"}
    site["workbench"].update(
        {
            "image": IMAGE,
            "replicas": 2,
            "auth": {
                "type": "oidc",
                "clientId": "workbench",
                "issuer": "https://idp.example.test/realms/posit",
                "usernameClaim": "preferred_username",
                "scopes": ["openid", "profile", "email"],
            },
            "adminGroups": ["wb-admins", "platform"],
            "adminSuperuserGroups": ["platform"],
            "createUsersAutomatically": True,
            "volume": {"create": True, "size": "50Gi", "storageClassName": "efs"},
            "additionalVolumes": [
                {
                    "create": True,
                    "pvcName": "test-datasets",
                    "mountPath": "/mnt/datasets",
                    "size": "100Gi",
                    "readOnly": True,
                },
            ],
            "defaultSessionImage": "ghcr.io/rstudio/r-session-complete:ubuntu2204-2025.05.0",
            "extraSessionImages": ["ghcr.io/rstudio/workbench-session:ubuntu2204-r4.4-py3.12"],
            "sessionInitContainerImageName": "ghcr.io/rstudio/workbench-session-init",
            "sessionInitContainerImageTag": "ubuntu2204-2025.05.0",
            "nodeSelector": {"pool": "workbench"},
            "tolerations": [{"key": "workbench", "operator": "Exists", "effect": "NoSchedule"}],
            "sessionTolerations": [{"key": "sessions", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}],
            "addEnv": {"EXTRA": "1"},
            "vsCodeExtensions": ["quarto.quarto", "ms-python.python"],
            "vsCodeUserSettings": {"editor.fontSize": 14, "files.autoSave": "afterDelay"},
            "positronConfig": {
                "enabled": 1,
                "sessionContainerImages": ["ghcr.io/posit-dev/positron:2025.05"],
                "extensions": ["posit.shiny"],
                "userSettings": {"editor.tabSize": 2},
            },
            "jupyterConfig": {"labs-enabled": 1, "notebooks-enabled": 0, "session-cull-minutes": 60},
            "apiSettings": {"workbenchApiEnabled": 1},
            "experimentalFeatures": {
                "resourceProfiles": {
                    "default": {"name": "Default", "cpus": "1", "mem-mb": "4096"},
                    "gpu": {
                        "name": "GPU",
                        "cpus": "8",
                        "mem-mb": "32768",
                        "nvidia-gpus": "1",
                        "placement-constraints": "gpu:true",
                    },
                    "large": {"name": "Large", "cpus": "4", "mem-mb": "16384"},
                },
                "cpuRequestRatio": "0.5",
                "memoryRequestRatio": "1",
                "wwwThreadPoolSize": 32,
                "launcherSessionsProxyTimeoutSecs": 60,
                "vsCodeExtensionsDir": "/mnt/team/vscode-extensions",
                "sessionSaveActionDefault": "ask",
                "chronicleSidecarProductApiKeyEnabled": True,
                "sessionEnvVars": [
                    {"name": "PIP_INDEX_URL", "value": "https://packages.example.test/pypi/latest/simple"}
                ],
            },
        }
    )
    return site


def saml_site() -> dict[str, Any]:
    """SAML, non-root, privileged sessions, a custom login page, NFS volumes from the Site's volumeSource."""
    return {
        "domain": "example.test",
        "awsAccountId": "123456789012",
        "clusterDate": "20250101",
        "volumeSource": {"type": "nfs", "dnsName": "nfs.example.test", "volumeId": "/exports/team"},
        "secret": {"type": "kubernetes", "vaultName": SITE_SECRET},
        "imagePullSecrets": ["regcred"],
        "connect": {"image": "ghcr.io/rstudio/rstudio-connect:2025.01.0"},
        "workbench": {
            "image": IMAGE,
            "imagePullPolicy": "IfNotPresent",
            "auth": {
                "type": "saml",
                "samlMetadataUrl": "https://idp.example.test/saml/metadata",
                "samlUsernameAttribute": "uid",
            },
            "authLoginPageHtml": "<p>Sign in with your <b>Example</b> account.</p>",
            "experimentalFeatures": {
                "nonRoot": True,
                "privilegedSessions": True,
                "sessionServiceAccountName": "test-custom-session",
                "launcherEnvPath": "/opt/python/3.12/bin:/usr/local/bin:/usr/bin:/bin",
                "firstProjectTemplatePath": "/mnt/team/template",
                "forceAdminUiEnabled": True,
            },
        },
    }


def databricks_site() -> dict[str, Any]:
    """Password sign-in with Databricks (AWS and Azure workspaces), Snowflake, an odbc.ini DSN, a licence key."""
    return {
        "domain": "example.test",
        "secret": {"type": "kubernetes", "vaultName": SITE_SECRET},
        "packageManagerUrl": "https://packages.example.test/cran/__linux__/noble/latest",
        "logFormat": "json",
        "debug": True,
        "workbench": {
            "image": IMAGE,
            "auth": {"type": "password"},
            "license": {"type": "KEY", "key": "AAAA-BBBB-CCCC-DDDD"},
            "databricks": {
                "aws": {
                    "name": "Databricks (AWS)",
                    "url": "https://dbc-1234.cloud.databricks.com",
                    "clientId": "aws-client",
                },
                "azure": {
                    "name": "Databricks (Azure)",
                    "url": "https://adb-42.7.azuredatabricks.net",
                    "clientId": "azure-client",
                    "tenantId": "tenant",
                },
            },
            "snowflake": {"accountId": "example-account", "clientId": "snowflake-client"},
            "experimentalFeatures": {
                "dsnSecret": "odbc-ini",
                "enableManagedCredentialJobs": True,
                "sessionImagePullPolicy": "Always",
            },
        },
    }


NFS_INPUTS = SiteInputs(
    SITE,
    database_host="postgres.example.test:5432",
    ssl_mode="require",
)


def cases() -> dict[str, tuple[WorkbenchSpec, RenderContext]]:
    reference = reference_workbench_spec()
    minimal = spec_from_site(minimal_site())
    oidc = spec_from_site(oidc_site(), SiteInputs(**{**INPUTS.__dict__, "chronicle_agent_image": AGENT.image}))
    saml = spec_from_site(saml_site(), NFS_INPUTS)
    databricks = spec_from_site(databricks_site())
    return {
        "reference": (reference, context_for(reference)),
        "minimal": (minimal, context_for(minimal)),
        "oidc": (
            oidc,
            context_for(
                oidc, site_keys=("dev-db-password", "dev-client-secret", "dev-chronicle-api-key"), chronicle=AGENT
            ),
        ),
        "saml": (saml, context_for(saml, site_keys=("dev-db-password", "dev-license"))),
        "databricks": (
            databricks,
            context_for(
                databricks, site_keys=("dev-db-password", "snowflake-client-secret", "dev-client-secret-azure-client")
            ),
        ),
    }


def render_case(name: str) -> WorkbenchRendered:
    spec, context = cases()[name]
    return render(spec, context)
