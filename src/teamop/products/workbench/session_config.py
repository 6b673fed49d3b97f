"""The session-side configuration files (ConfigMap `<site>-workbench-session`, mounted in every session):
rsession.conf, repos.conf, workbench_nss.conf, positron.conf, and the IDE settings (VS Code and Positron
extensions and user settings)."""

from __future__ import annotations

import json
from typing import Any

from teamop.products.workbench import layouts
from teamop.products.workbench.effective import EffectiveConfig
from teamop.products.workbench.ini import flat_file

VSCODE_EXTENSIONS = "vscode.extensions.conf"
POSITRON_EXTENSIONS = "positron.extensions.conf"
VSCODE_USER_SETTINGS = "vscode-user-settings.json"
POSITRON_USER_SETTINGS = "positron-user-settings.json"


def session_files(cfg: EffectiveConfig) -> dict[str, str]:
    files: dict[str, str] = {}
    # The session files write every int and list key, even when unset (the reference's session files do).
    if cfg.rsession is not None:
        files["rsession.conf"] = flat_file(cfg.rsession, layouts.RSESSION, write_empty_lists=True)
    if cfg.repos is not None:
        files["repos.conf"] = flat_file(cfg.repos, layouts.REPOS, write_empty_lists=True)
    if cfg.workbench_nss is not None:
        files["workbench_nss.conf"] = flat_file(cfg.workbench_nss, layouts.WORKBENCH_NSS, write_empty_lists=True)
    if cfg.positron is not None:
        files["positron.conf"] = flat_file(cfg.positron, layouts.POSITRON, write_empty_lists=True)
    if cfg.vscode_extensions is not None:
        files[VSCODE_EXTENSIONS] = one_per_line(cfg.vscode_extensions)
    if cfg.positron_extensions is not None:
        files[POSITRON_EXTENSIONS] = one_per_line(cfg.positron_extensions)
    if cfg.vscode_user_settings is not None:
        files[VSCODE_USER_SETTINGS] = json_file(cfg.vscode_user_settings)
    if cfg.positron_user_settings is not None:
        files[POSITRON_USER_SETTINGS] = json_file(cfg.positron_user_settings)
    return dict(sorted(files.items()))


def one_per_line(items: list[str]) -> str:
    return "".join(f"{item}\n" for item in items if item) or "\n"


# Go's encoding/json, which wrote these files under the reference, escapes these and leaves other text as UTF-8.
_GO_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_file(settings: dict[str, Any]) -> str:
    """Compact JSON with sorted keys, spelled as the reference's files are (integral numbers without `.0`)."""
    text = json.dumps(_go_numbers(settings), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "".join(_GO_JSON_ESCAPES.get(char, char) for char in text) + "\n"


def _go_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {key: _go_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_go_numbers(item) for item in value]
    return value
