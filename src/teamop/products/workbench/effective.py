"""The Workbench configuration actually written: the CR's `config` and `secretConfig` with the values the
operator controls applied on top (metrics, launcher wiring, authentication, database, non-root mode).

Every file is a plain mapping keyed by Workbench's own key names, so the file writers stay trivial and the
operator-controlled values are all in this one place.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.context import RenderContext
from teamop.products.workbench import names
from teamop.products.workbench.placeholders import secret_placeholder
from teamop.products.workbench.placement import sync_placement_constraints

Values = dict[str, Any]
"""One file (or one section of one): key → value, keys as Workbench spells them."""

AUTH_TYPES = ("password", "oidc", "saml")
OIDC_CLIENT_SECRET_KEY = "dev-client-secret"
LOGIN_PAGE_HTML_MAX_BYTES = 64 * 1024
AZURE_DATABRICKS_HOST = re.compile(r"azuredatabricks\.net")


class WorkbenchSpecError(ValueError):
    """The Workbench spec cannot be rendered; the message names the field."""


@dataclass
class EffectiveConfig:
    # Server files (ConfigMap <site>-workbench)
    rserver: Values = field(default_factory=dict)
    launcher: dict[str, Values] | None = None
    """launcher.conf: section (server, cluster) → values."""
    launcher_kubernetes: Values | None = None
    launcher_local: Values | None = None
    logging: Values | None = None
    """The [*] section of logging.conf."""
    jupyter: Values | None = None
    vscode: Values | None = None
    resource_profiles: dict[str, Values] | None = None
    kubernetes_profiles: dict[str, Values] | None = None
    launcher_env: Values | None = None
    """launcher-env (DCF): JobType and Environment."""
    # Session files (ConfigMap <site>-workbench-session, also in <site>-workbench)
    rsession: Values | None = None
    repos: Values | None = None
    workbench_nss: Values | None = None
    positron: Values | None = None
    vscode_extensions: list[str] | None = None
    positron_extensions: list[str] | None = None
    vscode_user_settings: dict[str, Any] | None = None
    positron_user_settings: dict[str, Any] | None = None
    # Files that may carry secrets (Secret <site>-workbench-config); secret values only as placeholders
    database: Values | None = None
    openid_client_secret: Values | None = None
    databricks: dict[str, Values] | None = None
    # supervisord programs (ConfigMap <site>-workbench-supervisor, non-root mode): file → program → values
    supervisord_programs: dict[str, dict[str, Values]] | None = None
    secret_keys: list[str] = field(default_factory=list)
    """Logical secret keys whose placeholders appear in the secret files."""
    warnings: list[str] = field(default_factory=list)
    """Parts of the spec left out of the files, for the controller to report."""


def auth_type(spec: WorkbenchSpec) -> str:
    """password, oidc or saml; empty and `none` mean password (COMPAT.md)."""
    value = spec.auth.type if spec.auth is not None else None
    return value if value in AUTH_TYPES else "password"


def effective_config(spec: WorkbenchSpec, context: RenderContext) -> EffectiveConfig:
    cfg = _from_spec(spec)
    cfg.warnings += sync_placement_constraints(cfg.kubernetes_profiles, cfg.resource_profiles)
    _apply_server_defaults(cfg)
    _apply_launcher(cfg, spec, context)
    _apply_auth(cfg, spec, context)
    _apply_database(cfg, context)
    _apply_databricks(cfg, context)
    if spec.non_root:
        _apply_non_root(cfg)
    if spec.auth_login_page_html and len(spec.auth_login_page_html.encode()) > LOGIN_PAGE_HTML_MAX_BYTES:
        raise WorkbenchSpecError(f"authLoginPageHtml is larger than {LOGIN_PAGE_HTML_MAX_BYTES} bytes")
    return cfg


def _dump(model: Any) -> Any:
    if model is None:
        return None
    return copy.deepcopy(model.model_dump(by_alias=True, exclude_none=True))


def _from_spec(spec: WorkbenchSpec) -> EffectiveConfig:
    config = spec.config
    ini = config.workbench_ini_config if config else None
    session_ini = config.workbench_session_ini_config if config else None
    newline = config.workbench_session_newline_config if config else None
    json_files = config.workbench_session_json_config if config else None
    profiles = config.workbench_profiles_config if config else None
    dcf = config.workbench_dcf_config if config else None
    supervisord = config.supervisord_ini_config if config else None
    secret_ini = spec.secret_config.workbench_secret_ini_config if spec.secret_config is not None else None
    if ini is not None and ini.databricks_conf:
        raise WorkbenchSpecError(
            "config.workbench-ini-config.databricks.conf: Databricks belongs in "
            "secretConfig.workbench-secret-ini-config.databricks.conf"
        )
    launcher = _dump(ini.launcher_conf) if ini else None
    logging = _dump(ini.logging_conf) if ini else None
    return EffectiveConfig(
        rserver=_dump(ini.rserver_conf) or {} if ini else {},
        launcher=launcher,
        launcher_kubernetes=_dump(ini.launcher_kubernetes_conf) if ini else None,
        launcher_local=_dump(ini.launcher_local_conf) if ini else None,
        logging=logging.get("*", {}) if logging is not None else None,
        jupyter=_dump(ini.jupyter_conf) if ini else None,
        vscode=_dump(ini.vscode_conf) if ini else None,
        resource_profiles=_dump_map(ini.resources_conf) if ini else None,
        kubernetes_profiles=_dump_map(profiles.profiles_conf) if profiles else None,
        launcher_env=_dump(dcf.launcher_env) if dcf else None,
        rsession=_dump(session_ini.rsession_conf) if session_ini else None,
        repos=_dump(session_ini.repos_conf) if session_ini else None,
        workbench_nss=_dump(session_ini.workbench_nss_conf) if session_ini else None,
        positron=_dump(session_ini.positron_conf) if session_ini else None,
        vscode_extensions=list(newline.vscode_extensions_conf)
        if newline and newline.vscode_extensions_conf is not None
        else None,
        positron_extensions=list(newline.positron_extensions_conf)
        if newline and newline.positron_extensions_conf is not None
        else None,
        vscode_user_settings=copy.deepcopy(json_files.vscode_user_settings_json) if json_files else None,
        positron_user_settings=copy.deepcopy(json_files.positron_user_settings_json) if json_files else None,
        database=_dump(secret_ini.database_conf) if secret_ini else None,
        openid_client_secret=_dump(secret_ini.openid_client_secret) if secret_ini else None,
        databricks=_dump_map(secret_ini.databricks_conf) if secret_ini else None,
        supervisord_programs=(
            {file: _dump_map(programs) or {} for file, programs in supervisord.programs_conf.items()}
            if supervisord and supervisord.programs_conf
            else None
        ),
    )


def _dump_map(models: dict[str, Any] | None) -> dict[str, Values] | None:
    if models is None:
        return None
    return {name: _dump(model) for name, model in models.items()}


def _apply_server_defaults(cfg: EffectiveConfig) -> None:
    cfg.rserver["metrics-enabled"] = 1
    cfg.rserver["metrics-port"] = names.METRICS_PORT
    # COMPAT.md: provisioning is always on; registering on first login follows createUsersAutomatically.
    cfg.rserver["user-provisioning-enabled"] = 1


def _apply_launcher(cfg: EffectiveConfig, spec: WorkbenchSpec, context: RenderContext) -> None:
    if spec.off_host_execution:
        cfg.launcher_kubernetes = {
            "kubernetes-namespace": context.namespace,
            "use-templating": 1,
            "job-expiry-hours": 1,
        }
        address = names.service_url(context.site, context.namespace)
        cfg.workbench_nss = {**(cfg.workbench_nss or {}), "server-address": address}
        cfg.rserver["launcher-sessions-callback-address"] = address
    else:
        cfg.rserver["launcher-sessions-callback-address"] = f"http://localhost:{names.HTTP_PORT}"
        cfg.launcher_local = {**(cfg.launcher_local or {}), "unprivileged": 1}


def _secret_value_placeholder(cfg: EffectiveConfig, context: RenderContext, key: str) -> str | None:
    """The placeholder for `key`'s value, or None when the controller could not resolve it (keys that are
    issued elsewhere are never generated): the file then goes without it and the controller reports why."""
    if key not in context.secrets:
        return None
    cfg.secret_keys.append(key)
    return secret_placeholder(key)


def _apply_auth(cfg: EffectiveConfig, spec: WorkbenchSpec, context: RenderContext) -> None:
    auth = spec.auth
    kind = auth_type(spec)
    if auth is None or kind == "password":
        return
    if kind == "oidc":
        cfg.rserver["auth-openid"] = 1
        _set_if(cfg.rserver, "auth-openid-issuer", auth.issuer)
        _set_if(cfg.rserver, "auth-openid-username-claim", auth.username_claim)
        if auth.scopes:
            cfg.rserver["auth-openid-scopes"] = list(auth.scopes)
        cfg.openid_client_secret = {
            "client-id": auth.client_id or "",
            "client-secret": _secret_value_placeholder(cfg, context, OIDC_CLIENT_SECRET_KEY),
        }
        return
    if not auth.saml_metadata_url:
        raise WorkbenchSpecError("auth.samlMetadataUrl is required when auth.type is saml")
    cfg.rserver["auth-saml"] = 1
    cfg.rserver["auth-saml-metadata-url"] = auth.saml_metadata_url
    _set_if(cfg.rserver, "auth-saml-sp-attribute-username", auth.saml_username_attribute or auth.username_claim)


def _apply_database(cfg: EffectiveConfig, context: RenderContext) -> None:
    """database.conf without a password: Workbench reads it from WORKBENCH_POSTGRES_PASSWORD (see deployment)."""
    target = context.database
    if target is None:
        return
    cfg.database = {
        "provider": "postgresql",
        "database": target.database,
        "port": str(target.port),
        "host": target.host,
        "username": target.user,
    }


def databricks_client_secret_key(client_id: str) -> str:
    """The site-secret key of an Azure Databricks workspace's client secret (the reference's name)."""
    return f"dev-client-secret-{client_id}"


def is_azure_databricks(url: str | None) -> bool:
    return bool(url and AZURE_DATABRICKS_HOST.search(url))


def _apply_databricks(cfg: EffectiveConfig, context: RenderContext) -> None:
    """Azure Databricks workspaces authenticate with a client secret kept in the site secret."""
    for workspace in (cfg.databricks or {}).values():
        client_id = workspace.get("client-id") or ""
        if client_id and not workspace.get("client-secret") and is_azure_databricks(workspace.get("url")):
            placeholder = _secret_value_placeholder(cfg, context, databricks_client_secret_key(client_id))
            if placeholder is not None:
                workspace["client-secret"] = placeholder


def _apply_non_root(cfg: EffectiveConfig) -> None:
    """The launcher runs unprivileged and both services read the cookie key from the mounted key Secret (the
    default location is root-only); supervisord starts the launcher from a program file of ours."""
    server = (cfg.launcher or {}).get("server")
    if server is not None:
        server["unprivileged"] = 1
        server["secure-cookie-key-file"] = names.SECURE_COOKIE_KEY_FILE
        cfg.rserver["secure-cookie-key-file"] = names.SECURE_COOKIE_KEY_FILE
    programs = cfg.supervisord_programs or {}
    if any("launcher" in file or any("launcher" in name for name in entries) for file, entries in programs.items()):
        return  # the spec brings its own launcher program; never start two
    programs["launcher.conf"] = {
        "rstudio-launcher": {
            "user": "root",
            "command": "/usr/lib/rstudio-server/bin/rstudio-launcher",
            "autorestart": False,
            "numprocs": 1,
            "stdout_logfile": "/dev/stdout",
            "stdout_logfile_maxbytes": 0,
            "stderr_logfile": "/dev/stderr",
            "stderr_logfile_maxbytes": 0,
            "environment": f'XDG_CONFIG_DIRS="{names.XDG_CONFIG_DIRS}"',
        }
    }
    cfg.supervisord_programs = programs


def _set_if(values: Values, key: str, value: str | None) -> None:
    if value:
        values[key] = value
