"""The ConfigMaps and the Secret that carry Workbench's files:

- `<site>-workbench` — the server's files (the twelve of the reference, plus those a spec adds);
- `<site>-workbench-session` — the session files, mounted in every session;
- `<site>-workbench-login` — the login environment (login.defs, PAM session, profile script);
- `<site>-workbench-templates` — the launcher's job and service templates and their data (off-host execution);
- `<site>-workbench-auth-login-page-html` — the custom sign-in page HTML, when given;
- `<site>-workbench-supervisor` — supervisord programs, in non-root mode;
- Secret `<site>-workbench-config` — database.conf (no password) and the files holding secret placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.aws_secrets import is_aws
from teamop.products.context import RenderContext
from teamop.products.launcher_templates import session_data, template_files
from teamop.products.objects import config_map, secret
from teamop.products.workbench import layouts, names
from teamop.products.workbench.effective import EffectiveConfig, Values
from teamop.products.workbench.ini import lines
from teamop.products.workbench.login_files import login_files
from teamop.products.workbench.placeholders import SecretTemplate
from teamop.products.workbench.secret_config import secret_files
from teamop.products.workbench.server_config import server_files
from teamop.products.workbench.session_config import session_files
from teamop.products.workbench.volumes import Claims, session_parts

LOGIN_PAGE_FILE = "login.html"


@dataclass
class ConfigObjects:
    objects: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    """`<object name>/<file name>` → text, for every file of every object above (secret values as placeholders)."""
    secret_template: SecretTemplate | None = None

    def add_config_map(self, context: RenderContext, name: str, files: dict[str, str]) -> None:
        self.objects.append(config_map(context.site, context.namespace, names.COMPONENT, name, files))
        self.files.update({f"{name}/{file}": text for file, text in files.items()})


def supervisord_files(programs: dict[str, dict[str, Values]]) -> dict[str, str]:
    """One supervisord include file per entry, each with its `[program:<name>]` sections."""
    files: dict[str, str] = {}
    for file, entries in programs.items():
        text = ""
        for program in sorted(entries):
            text += f"[program:{program}]\n" + "".join(
                f"{line}\n" for line in lines(entries[program], layouts.SUPERVISORD_PROGRAM)
            )
        files[file] = text
    return files


def session_template_data(
    spec: WorkbenchSpec, context: RenderContext, cfg: EffectiveConfig, claims: Claims
) -> dict[str, Any]:
    dsn = None
    if spec.dsn_secret and spec.secret is not None and spec.secret.vault_name and not is_aws(spec.secret):
        dsn = (spec.secret.vault_name, spec.dsn_secret)
    parts = session_parts(
        context.site,
        claims,
        vscode_extensions=cfg.vscode_extensions is not None,
        positron_extensions=cfg.positron_extensions is not None,
        dsn=dsn,
    )
    return session_data(
        site=context.site,
        session_component=names.SESSION_COMPONENT,
        service_account=names.session_service_account(context.site),
        session_config=spec.session_config,
        volumes=sorted(parts.volumes, key=lambda volume: str(volume["name"])),
        volume_mounts=sorted(parts.mounts, key=lambda mount: str(mount["name"])),
        env=parts.env,
    )


def config_objects(spec: WorkbenchSpec, context: RenderContext, cfg: EffectiveConfig, claims: Claims) -> ConfigObjects:
    site = context.site
    result = ConfigObjects()
    result.add_config_map(context, names.server(site), server_files(cfg))
    result.add_config_map(context, names.session_config_map(site), session_files(cfg))
    result.add_config_map(context, names.login_config_map(site), login_files())
    if spec.off_host_execution:
        data = session_template_data(spec, context, cfg, claims)
        result.add_config_map(context, names.templates_config_map(site), template_files(data))
    if spec.auth_login_page_html and spec.auth_login_page_html.strip():
        result.add_config_map(context, names.login_page_config_map(site), {LOGIN_PAGE_FILE: spec.auth_login_page_html})
    if spec.non_root and cfg.supervisord_programs:
        result.add_config_map(context, names.supervisor_config_map(site), supervisord_files(cfg.supervisord_programs))

    files = secret_files(cfg)
    secret_name = names.secret_config(site)
    result.objects.append(secret(site, context.namespace, names.COMPONENT, secret_name, files))
    result.files.update({f"{secret_name}/{file}": text for file, text in files.items()})
    if cfg.secret_keys:
        refs = {key: context.secret(key) for key in cfg.secret_keys}
        result.secret_template = SecretTemplate(secret_name=secret_name, refs=refs)
    return result
