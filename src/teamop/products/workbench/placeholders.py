"""Secret values inside rendered files, without the renderer ever seeing them.

Most Workbench secrets reach the pod as `secretKeyRef` env vars or mounted Secret keys. A few files must hold a
secret value in their text — `openid-client-secret` (Workbench reads the OIDC client secret only from that
file) and an Azure Databricks workspace's `client-secret` in `databricks.conf`. The renderer writes those files
with a placeholder per value and returns a `SecretTemplate` naming, for each placeholder, the `SecretKeyRef`
holding the value. The controller reads those values and calls `fill_secret_template` before it applies the
Secret; the values never pass through rendering, golden files or logs.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from teamop.products.context import SecretKeyRef

_PLACEHOLDER = re.compile(r"@@teamop-secret:([A-Za-z0-9._-]+)@@")


def secret_placeholder(key: str) -> str:
    """Stands for the value of the logical secret key `key` in a rendered file."""
    return f"@@teamop-secret:{key}@@"


def placeholder_keys(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


@dataclass(frozen=True)
class SecretTemplate:
    """A rendered Secret (kind Secret, name `secret_name`) whose files hold placeholders; `refs` maps each
    logical key used in them to the Secret key holding its value."""

    secret_name: str
    refs: Mapping[str, SecretKeyRef] = field(default_factory=dict)


class MissingSecretValue(KeyError):
    pass


def fill_secret_template(body: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The Secret `body` with every placeholder replaced by `values[key]` (logical key → value). Raises
    MissingSecretValue naming the key (never a value) when one is not given."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise MissingSecretValue(f"no value for secret key {key!r}")
        return values[key]

    filled = copy.deepcopy(dict(body))
    data = filled.get("data") or {}
    for name, encoded in data.items():
        text = base64.b64decode(encoded).decode()
        data[name] = base64.b64encode(_PLACEHOLDER.sub(substitute, text).encode()).decode()
    return filled
