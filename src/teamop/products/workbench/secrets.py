"""The secret values Workbench needs, as `SecretNeed`s: the controller takes each from the site secret when it
has the key, else takes the Go operator's from `<site>-workbench-key` or generates it, once, into
`<site>-workbench-generated` and keeps it (COMPAT.md "Secrets").

Workbench-only keys (not in the reference's site-secret contract) carry the `dev-` prefix of Workbench's keys,
so a user may still provide them in the site secret.
"""

from __future__ import annotations

from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.api.v1beta1.workbench_config import DatabricksIniSection
from teamop.products.context import RenderContext, SecretKeyRef, SecretNeed
from teamop.products.database import PASSWORD_KEYS
from teamop.products.license import WORKBENCH_LICENSE, site_secret_license_needs
from teamop.products.sidecar import API_KEY_SECRET_KEYS
from teamop.products.workbench.effective import (
    OIDC_CLIENT_SECRET_KEY,
    auth_type,
    databricks_client_secret_key,
    is_azure_databricks,
)

SECURE_COOKIE_KEY = "dev-secure-cookie-key"
"""Signs the users' session cookies; shared by all server replicas."""
LAUNCHER_KEY = "dev-launcher-pem"
"""The launcher's RSA private key (PEM); rserver signs its launcher requests with it."""
LAUNCHER_PUBLIC_KEY_SUFFIX = ".pub"
TESTUSER_PASSWORD = "dev-testuser-password"
"""The password of the image's built-in test user (RSW_TESTUSER_PASSWD), never the image's default."""
DB_PASSWORD = PASSWORD_KEYS["workbench"]
CHRONICLE_API_KEY = API_KEY_SECRET_KEYS["workbench"]
SNOWFLAKE_CLIENT_SECRET = "snowflake-client-secret"


def launcher_public_key(context: RenderContext) -> SecretKeyRef:
    """The launcher's public key (PEM): `<private key>.pub` beside the private key. The controller writes it
    when it generates the private key (kind rsa-private-key); a user who provides `dev-launcher-pem` in the site
    secret provides `dev-launcher-pem.pub` there too."""
    key = LAUNCHER_KEY + LAUNCHER_PUBLIC_KEY_SUFFIX
    if key in context.secrets:
        return context.secrets[key]
    private = context.secret(LAUNCHER_KEY)
    return SecretKeyRef(name=private.name, key=private.key + LAUNCHER_PUBLIC_KEY_SUFFIX)


def snowflake_enabled(spec: WorkbenchSpec) -> bool:
    return bool(spec.snowflake and spec.snowflake.account_id and spec.snowflake.client_id)


def secret_needs(spec: WorkbenchSpec) -> list[SecretNeed]:
    needs = [
        SecretNeed(SECURE_COOKIE_KEY, "hex-key", predecessor_key="key"),
        SecretNeed(LAUNCHER_KEY, "rsa-private-key", predecessor_key="launcher.pem",
                   predecessor_public_key="launcher.pub"),
        SecretNeed(TESTUSER_PASSWORD, "password", predecessor_key="testuser-password"),
        SecretNeed(DB_PASSWORD, "password"),
    ]
    # Issued by another system (identity provider, Chronicle, Snowflake, Azure): used when present, never made up.
    if auth_type(spec) == "oidc":
        needs.append(SecretNeed(OIDC_CLIENT_SECRET_KEY, generate=False))
    if spec.chronicle_sidecar_product_api_key_enabled:
        needs.append(SecretNeed(CHRONICLE_API_KEY, generate=False))
    if snowflake_enabled(spec):
        needs.append(SecretNeed(SNOWFLAKE_CLIENT_SECRET, generate=False))
    needs.extend(SecretNeed(databricks_client_secret_key(client_id), generate=False)
                 for client_id in databricks_keys_needed(spec))
    needs += site_secret_license_needs(spec.license, WORKBENCH_LICENSE)  # dev-license, as Connect's pub-license
    return needs


def databricks_keys_needed(spec: WorkbenchSpec) -> list[str]:
    """Client ids of the Azure Databricks workspaces whose client secret must come from the site secret."""
    return [workspace.client_id for workspace in _databricks_workspaces(spec)
            if workspace.client_id and not workspace.client_secret and is_azure_databricks(workspace.url)]


def _databricks_workspaces(spec: WorkbenchSpec) -> list[DatabricksIniSection]:
    secret_ini = spec.secret_config.workbench_secret_ini_config if spec.secret_config else None
    return list((secret_ini.databricks_conf or {}).values()) if secret_ini else []
