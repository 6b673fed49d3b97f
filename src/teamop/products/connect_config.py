"""Connect's configuration files: `rstudio-connect.gcfg` and the launcher's `runtime.yaml`.

The gcfg is built in three layers, later ones winning: the defaults the reference writes, the CR's `spec.config`
(a structured gcfg: section → key → value), and the settings teamop manages because other objects depend on
them (the address, ports, database, authentication and launcher). Passwords and the OIDC client secret are
never in the file: Connect reads them from `CONNECT_<SECTION>_<KEY>` environment variables (see `connect.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from teamop.api.v1beta1.common import AuthSpec
from teamop.api.v1beta1.connect import ConnectSpec
from teamop.products.context import DatabaseTarget
from teamop.products.gcfg import Gcfg, GcfgValue, subsection

HTTP_PORT = 3939
METRICS_PORT = 3232
DATA_DIR = "/var/lib/rstudio-connect"
CONFIG_DIR = "/etc/rstudio-connect"
RUNTIME_FILE = f"{CONFIG_DIR}/runtime.yaml"
PROFILES_FILE = f"{CONFIG_DIR}/launcher/launcher.kubernetes.profiles.conf"
LAUNCHER_SCRATCH_PATH = "/var/lib/rstudio-connect-launcher"

SECTION_ORDER = (
    "Server", "Http", "Metrics", "Database", "Postgres", "SQLite", "Logging", "Authentication", "OAuth2", "SAML",
    "Launcher", "Authorization", "Applications", "R", "Python", "Quarto", "Scheduler", "TableauIntegration",
)
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "Server": (
        "Address", "DataDir", "FrameOptionsContent", "FrameOptionsDashboard", "DefaultContentListView",
        "ProxyHeaderLogging", "HideEmailAddresses", "EmailProvider", "SenderEmail", "SenderEmailDisplayName",
        "EmailTo", "LoggedInWarning", "PublicWarning",
    ),
    "Http": ("ForceSecure", "Listen"),
    "Logging": (
        "ServiceLog", "ServiceLogLevel", "ServiceLogFormat", "AccessLog", "AccessLogFormat", "AuditLog",
        "AuditLogFormat",
    ),
    "Postgres": ("URL", "InstrumentationURL"),
    "OAuth2": (
        "ClientId", "ClientSecretFile", "OpenIDConnectIssuer", "RequireUsernameClaim", "UsernameClaim", "EmailClaim",
        "UniqueIdClaim", "GroupsAutoProvision", "GroupsClaim", "CustomScope", "Logging",
    ),
    "SAML": (
        "IdPMetaDataURL", "IdPAttributeProfile", "UsernameAttribute", "FirstNameAttribute", "LastNameAttribute",
        "EmailAttribute",
    ),
    "Launcher": (
        "Enabled", "Kubernetes", "ClusterDefinition", "KubernetesNamespace", "KubernetesProfilesConfig",
        "DataDirPVCName", "KubernetesUseTemplates", "ScratchPath",
    ),
    "Authorization": (
        "DefaultUserRole", "PublishersCanManageVanities", "ViewersCanOnlySeeThemselves", "UserRoleGroupMapping",
        "ViewerRoleMapping", "PublisherRoleMapping", "AdministratorRoleMapping",
    ),
    "Applications": ("BundleRetentionLimit", "PythonEnvironmentReaping", "OAuthIntegrationsEnabled",
                     "ScheduleConcurrency"),
    "R": ("Enabled", "PositPackageManagerURLRewriting"),
    "Scheduler": (
        "MaxCPURequest", "MaxCPULimit", "MaxMemoryRequest", "MaxMemoryLimit", "NvidiaGPULimit", "MaxNvidiaGPULimit",
        "AMDGPULimit", "MaxAMDGPULimit",
    ),
}

# What the reference writes when the CR says nothing.
DEFAULTS: dict[str, dict[str, GcfgValue]] = {
    "Server": {"ProxyHeaderLogging": False},
    "Authorization": {"ViewersCanOnlySeeThemselves": False, "UserRoleGroupMapping": False},
    "Python": {"Enabled": True},
    "Scheduler": {"NvidiaGPULimit": 0, "MaxNvidiaGPULimit": 0, "AMDGPULimit": 0, "MaxAMDGPULimit": 0},
}

# Content images the launcher offers when the CR does not say otherwise (Posit's published content images).
DEFAULT_RUNTIME_IMAGES: tuple[tuple[str, str, str, str], ...] = (
    # image, R version, Python version, Quarto version
    ("ghcr.io/rstudio/content-pro:r4.4.1-py3.12.4-ubuntu2204", "4.4.1", "3.12.4", "1.4.557"),
    ("ghcr.io/rstudio/content-pro:r4.2.2-py3.11.3-ubuntu2204", "4.2.2", "3.11.3", "1.3.340"),
)


def auth_provider(auth: AuthSpec | None) -> str:
    """Connect's `[Authentication] Provider`: empty and `none` mean password (COMPAT.md)."""
    kind = (auth.type if auth else None) or "password"
    return {"oidc": "oauth2", "saml": "saml"}.get(kind, "password")


def _user_sections(spec: ConnectSpec) -> dict[str, dict[str, GcfgValue]]:
    if spec.config is None:
        return {}
    dumped: dict[str, Any] = spec.config.model_dump(by_alias=True, exclude_none=True)
    repositories = dumped.pop("RPackageRepositories", None) or {}
    sections: dict[str, dict[str, GcfgValue]] = dict(dumped.items())
    for name, repository in repositories.items():
        sections[subsection("RPackageRepository", name)] = dict(repository)
    return sections


def _auth_sections(auth: AuthSpec | None, debug: bool) -> dict[str, dict[str, GcfgValue]]:
    """Password authentication is Connect's default and is not written (as the reference); OAuth2 and SAML are."""
    provider = auth_provider(auth)
    sections: dict[str, dict[str, GcfgValue]] = {}
    if provider != "password":
        sections["Authentication"] = {"Provider": provider}
    if auth is None:
        return sections
    mappings: dict[str, GcfgValue] = {
        "ViewerRoleMapping": auth.viewer_role_mapping or None,
        "PublisherRoleMapping": auth.publisher_role_mapping or None,
        "AdministratorRoleMapping": auth.administrator_role_mapping or None,
    }
    if any(value is not None for value in mappings.values()):
        sections["Authorization"] = {"UserRoleGroupMapping": True, **mappings}
    if provider == "oauth2":
        groups_claim = None if auth.disable_groups_claim else auth.groups_claim
        sections["OAuth2"] = {
            "ClientId": auth.client_id,
            "OpenIDConnectIssuer": auth.issuer,
            "UsernameClaim": auth.username_claim,
            "EmailClaim": auth.email_claim,
            "UniqueIdClaim": auth.unique_id_claim,
            "GroupsAutoProvision": auth.groups,
            "GroupsClaim": groups_claim,
            "CustomScope": auth.scopes or None,
            "Logging": True if debug else None,
        }
    elif provider == "saml":
        attributes: dict[str, GcfgValue] = {
            "UsernameAttribute": auth.saml_username_attribute,
            "FirstNameAttribute": auth.saml_first_name_attribute,
            "LastNameAttribute": auth.saml_last_name_attribute,
            "EmailAttribute": auth.saml_email_attribute,
        }
        saml: dict[str, GcfgValue] = {"IdPMetaDataURL": auth.saml_metadata_url}
        # Connect takes either an attribute profile or explicit attribute names, not both.
        if auth.saml_id_p_attribute_profile or not any(value for value in attributes.values()):
            saml["IdPAttributeProfile"] = auth.saml_id_p_attribute_profile or "default"
        else:
            saml.update(attributes)
        sections["SAML"] = saml
    return sections


def _launcher_section(namespace: str, data_claim: str) -> dict[str, GcfgValue]:
    return {
        "Enabled": True,
        "Kubernetes": True,
        "ClusterDefinition": [RUNTIME_FILE],
        "KubernetesNamespace": namespace,
        "KubernetesProfilesConfig": PROFILES_FILE,
        "DataDirPVCName": data_claim,
        "KubernetesUseTemplates": True,
        "ScratchPath": LAUNCHER_SCRATCH_PATH,
    }


def connect_gcfg(
    spec: ConnectSpec,
    *,
    namespace: str,
    database: DatabaseTarget | None,
    data_claim: str,
    off_host: bool,
    client_secret_file: str | None = None,
) -> str:
    """`client_secret_file`: where the OIDC client secret is mounted as a file (secrets from AWS), instead of
    the env the server otherwise reads it from."""
    doc = Gcfg(SECTION_ORDER, KEY_ORDER)
    doc.merge(DEFAULTS)
    doc.merge(_user_sections(spec))
    managed: dict[str, Mapping[str, GcfgValue]] = {
        "Server": {"Address": f"https://{spec.url}" if spec.url else None},
        "Http": {"Listen": f":{HTTP_PORT}"},
        "Metrics": {"PrometheusListen": f":{METRICS_PORT}"},
    }
    if database is not None:
        managed["Database"] = {"Provider": "postgres"}
        managed["Postgres"] = {
            "URL": database.url(database.schemas[0] if database.schemas else None),
            # The last schema: the instrumentation one, or the only one when both are named the same.
            "InstrumentationURL": database.url(database.schemas[-1] if database.schemas else None),
        }
    else:
        managed["Database"] = {"Provider": "sqlite"}
    if spec.debug:
        managed["Logging"] = {"ServiceLogLevel": "DEBUG"}
        managed["Server"] = {**managed["Server"], "ProxyHeaderLogging": True}
        managed["TableauIntegration"] = {"Logging": True}
    managed.update(_auth_sections(spec.auth, bool(spec.debug)))
    if client_secret_file and "OAuth2" in managed:
        managed["OAuth2"] = {**managed["OAuth2"], "ClientSecretFile": client_secret_file}
    if off_host:
        managed["Launcher"] = _launcher_section(namespace, data_claim)
    else:
        doc.remove_section("Launcher")
    doc.merge(managed)
    return doc.render()


def runtime_yaml(images: tuple[tuple[str, str, str, str], ...] = DEFAULT_RUNTIME_IMAGES) -> str:
    """The launcher's cluster definition: the content images and the R/Python/Quarto installations in each."""
    lines = ["name: Kubernetes", "images:"]
    for image, r_version, python_version, quarto_version in images:
        lines += [
            f"    - name: {image}",
            "      python:",
            "        installations:",
            f"            - path: /opt/python/{python_version}/bin/python3",
            f"              version: {python_version}",
            "      r:",
            "        installations:",
            f"            - path: /opt/R/{r_version}/bin/R",
            f"              version: {r_version}",
            "      quarto:",
            "        installations:",
            f"            - path: /opt/quarto/{quarto_version}/bin/quarto",
            f"              version: {quarto_version}",
        ]
    return "\n".join(lines) + "\n"
