"""Kubeconfigs derived from the control plane's admin kubeconfig, for tests that act as someone else."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml


def service_account_user(namespace: str, name: str) -> str:
    """The user name the API server gives a ServiceAccount's tokens."""
    return f"system:serviceaccount:{namespace}:{name}"


def write_impersonating_kubeconfig(
    admin_kubeconfig: Path, path: Path, user: str, groups: Sequence[str] = ()
) -> Path:
    """A copy of `admin_kubeconfig` whose current user impersonates `user` (kubeconfig `as`, `as-groups`): the
    admin authenticates, the API server authorizes every request as `user`. For a ServiceAccount user without
    `groups`, the API server adds the ServiceAccount groups itself."""
    config: dict[str, Any] = yaml.safe_load(admin_kubeconfig.read_text())
    context_name = config["current-context"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    entry = next(u for u in config["users"] if u["name"] == context["user"])
    entry["user"]["as"] = user
    if groups:
        entry["user"]["as-groups"] = list(groups)
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path
