"""What the server pod and every session pod mount (volume names and paths are the reference's).

Both get the users' home directories at /home, the shared storage at /mnt/shared-storage, the login files, an
empty /etc/rstudio (covering the image's defaults, so only teamop's configuration applies) and every additional
volume (the Site's shared directory among them). The server adds its configuration, keys, licence and launcher
templates; sessions add the session configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from teamop.api.v1beta1.common import VolumeSpec
from teamop.products.context import SecretKeyRef
from teamop.products.launcher_templates import template_mounts
from teamop.products.storage import additional_volume_parts, claim_volume
from teamop.products.workbench import names
from teamop.products.workbench.login_files import login_mounts
from teamop.products.workbench.session_config import (
    POSITRON_EXTENSIONS,
    POSITRON_USER_SETTINGS,
    VSCODE_EXTENSIONS,
)
from teamop.products.workload import PodParts

CONFIG_VOLUME = "config-volume"
ETC_COVER_VOLUME = "etc-cover-volume"
LOGIN_VOLUME = "login-volume"
TEMPLATE_VOLUME = "template-config"
KEY_VOLUME = "key-volume"
SECRET_CONFIG_VOLUME = "secret-config"
CHRONICLE_LOGS_VOLUME = "chronicle-logs"
HOME_VOLUME = "home-dir-volume"
SHARED_STORAGE_VOLUME = "server-shared-storage-volume"
SESSION_CONFIG_VOLUME = "session-config-volume"
LOGIN_PAGE_VOLUME = "auth-login-page-html-volume"
SUPERVISOR_VOLUME = "supervisor-volume"
SUPERVISOR_COVER_VOLUME = "supervisor-cover-volume"
DSN_VOLUME = "dsn-volume"

CHRONICLE_LOGS_PATH = "/var/lib/rstudio-server/audit"
"""Workbench's audit logs, which the Chronicle agent sidecar reads."""
SUPERVISOR_CUSTOM_PATH = "/startup/custom/"
SUPERVISOR_LAUNCHER_PATH = "/startup/launcher"

_READ_WRITE_FOR_ALL = 420  # 0644
_OWNER_ONLY = 384  # 0600
_DSN_MODE = 429  # 0655, as the reference (sessions run as the user, not root)


@dataclass(frozen=True)
class Claims:
    """The claims both pods mount."""

    home: str
    shared_storage: str
    additional: Sequence[VolumeSpec] = ()


@dataclass(frozen=True)
class KeyRefs:
    secure_cookie_key: SecretKeyRef
    launcher_private_key: SecretKeyRef
    launcher_public_key: SecretKeyRef


@dataclass(frozen=True)
class ServerMounts:
    """Which optional files and features the server pod mounts."""

    site: str
    off_host_execution: bool
    workbench_nss: bool
    positron: bool
    positron_user_settings: bool
    launcher_env: bool
    login_page: bool
    non_root: bool


def _config_map_volume(name: str, config_map: str, default_mode: int | None = _READ_WRITE_FOR_ALL) -> dict[str, Any]:
    source: dict[str, Any] = {"name": config_map}
    if default_mode is not None:
        source["defaultMode"] = default_mode
    return {"name": name, "configMap": source}


def _mount(volume: str, path: str, *, sub_path: str | None = None, read_only: bool = False) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": volume, "mountPath": path}
    if sub_path:
        mount["subPath"] = sub_path
    if read_only:
        mount["readOnly"] = True
    return mount


def _etc_file(volume: str, file: str) -> dict[str, Any]:
    """One file of a ConfigMap mounted into /etc/rstudio (which is otherwise an empty directory)."""
    return _mount(volume, f"{names.ETC_RSTUDIO}/{file}", sub_path=file, read_only=True)


def common_parts(site: str, claims: Claims) -> PodParts:
    """Mounted in the server and in every session."""
    parts = PodParts(
        volumes=[
            {"name": ETC_COVER_VOLUME, "emptyDir": {}},
            _config_map_volume(LOGIN_VOLUME, names.login_config_map(site)),
            claim_volume(HOME_VOLUME, claims.home),
            claim_volume(SHARED_STORAGE_VOLUME, claims.shared_storage),
        ],
        mounts=[
            _mount(ETC_COVER_VOLUME, names.ETC_RSTUDIO),
            *login_mounts(LOGIN_VOLUME),
            _mount(HOME_VOLUME, names.HOME_PATH),
            _mount(SHARED_STORAGE_VOLUME, names.SHARED_STORAGE_PATH),
        ],
    )
    return PodParts.join(parts, additional_volume_parts(claims.additional))


def key_volume(keys: KeyRefs) -> dict[str, Any]:
    """The cookie key and the launcher key pair, readable by the owner only, wherever the controller keeps them
    (one Secret normally; a projected volume when the user provided some in the site secret)."""
    files = (
        (keys.secure_cookie_key, "secure-cookie-key"),
        (keys.launcher_private_key, "launcher.pem"),
        (keys.launcher_public_key, "launcher.pub"),
    )
    by_secret: dict[str, list[dict[str, Any]]] = {}
    for ref, path in files:
        by_secret.setdefault(ref.name, []).append({"key": ref.key, "path": path, "mode": _OWNER_ONLY})
    if len(by_secret) == 1:
        ((secret_name, items),) = by_secret.items()
        return {
            "name": KEY_VOLUME,
            "secret": {"secretName": secret_name, "items": items, "defaultMode": _OWNER_ONLY},
        }
    sources = [{"secret": {"name": name, "items": items}} for name, items in by_secret.items()]
    return {"name": KEY_VOLUME, "projected": {"sources": sources, "defaultMode": _OWNER_ONLY}}


def server_parts(mounts: ServerMounts, claims: Claims, keys: KeyRefs) -> PodParts:
    site = mounts.site
    config_mounts = [_mount(CONFIG_VOLUME, names.CONFIG_DIR, read_only=True)]
    for wanted, file in (
        (mounts.workbench_nss, "workbench_nss.conf"),
        (mounts.positron, "positron.conf"),
        (mounts.positron_user_settings, POSITRON_USER_SETTINGS),
        (mounts.launcher_env, "launcher-env"),
    ):
        if wanted:
            config_mounts.append(_etc_file(CONFIG_VOLUME, file))
    parts = PodParts(
        volumes=[_config_map_volume(CONFIG_VOLUME, names.server(site))],
        mounts=config_mounts,
    )
    joined = [parts, common_parts(site, claims)]
    if mounts.off_host_execution:
        joined.append(
            PodParts(
                volumes=[_config_map_volume(TEMPLATE_VOLUME, names.templates_config_map(site))],
                mounts=template_mounts(TEMPLATE_VOLUME, names.LAUNCHER_TEMPLATE_DIR),
            )
        )
    joined.append(
        PodParts(
            volumes=[
                key_volume(keys),
                {"name": SECRET_CONFIG_VOLUME, "secret": {"secretName": names.secret_config(site), "defaultMode": 420}},
                {"name": CHRONICLE_LOGS_VOLUME, "emptyDir": {}},
            ],
            mounts=[
                _mount(KEY_VOLUME, names.SECURE_DIR, read_only=True),
                _mount(SECRET_CONFIG_VOLUME, names.SECURE_CONFIG_DIR, read_only=True),
                _mount(CHRONICLE_LOGS_VOLUME, CHRONICLE_LOGS_PATH),
            ],
        )
    )
    if mounts.login_page:
        joined.append(
            PodParts(
                volumes=[_config_map_volume(LOGIN_PAGE_VOLUME, names.login_page_config_map(site))],
                mounts=[_etc_file(LOGIN_PAGE_VOLUME, "login.html")],
            )
        )
    if mounts.non_root:
        joined.append(
            PodParts(
                volumes=[
                    _config_map_volume(SUPERVISOR_VOLUME, names.supervisor_config_map(site)),
                    {"name": SUPERVISOR_COVER_VOLUME, "emptyDir": {}},
                ],
                mounts=[
                    _mount(SUPERVISOR_VOLUME, SUPERVISOR_CUSTOM_PATH),
                    _mount(SUPERVISOR_COVER_VOLUME, SUPERVISOR_LAUNCHER_PATH),
                ],
            )
        )
    return PodParts.join(*joined)


def session_parts(
    site: str,
    claims: Claims,
    *,
    vscode_extensions: bool,
    positron_extensions: bool,
    dsn: tuple[str, str] | None,
) -> PodParts:
    """What the launcher adds to every session pod (through the templates' data). `dsn` is (Secret, key) of an
    odbc.ini to place at /etc/odbc.ini."""
    session_mounts = [_mount(SESSION_CONFIG_VOLUME, names.SESSION_CONFIG_DIR, read_only=True)]
    if vscode_extensions:
        session_mounts.append(_etc_file(SESSION_CONFIG_VOLUME, VSCODE_EXTENSIONS))
    if positron_extensions:
        session_mounts.append(_etc_file(SESSION_CONFIG_VOLUME, POSITRON_EXTENSIONS))
    parts = [
        common_parts(site, claims),
        PodParts(
            volumes=[_config_map_volume(SESSION_CONFIG_VOLUME, names.session_config_map(site), default_mode=None)],
            mounts=session_mounts,
        ),
    ]
    if dsn is not None:
        secret_name, key = dsn
        parts.append(
            PodParts(
                volumes=[
                    {
                        "name": DSN_VOLUME,
                        "secret": {
                            "secretName": secret_name,
                            "items": [{"key": key, "path": "odbc.ini"}],
                            "defaultMode": _DSN_MODE,
                        },
                    }
                ],
                mounts=[_mount(DSN_VOLUME, "/etc/odbc.ini", sub_path="odbc.ini", read_only=True)],
            )
        )
    return PodParts.join(*parts)
