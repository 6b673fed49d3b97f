"""The Site's settings as rows for the configuration page — with everything that could be a secret left out.

A Site holds no secret values by design (they live in Secrets it names), but free-form fields can carry one:
an activation key, an environment variable, a URL with a password in it. So the rule is conservative:
- a field whose name has a secret-ish word in it (password, token, key, secret, credential, ...) is dropped
  with everything under it — except a Secret *reference* (`secret`, `workloadSecret`: only its type and name) and
  fields that are names (`existingSecretName`, `imagePullSecrets`);
- free-form maps and lists that hold values of arbitrary meaning (env, addEnv, ...) are dropped whole;
- a string that carries credentials in a URL (`scheme://user:pw@host`) is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SECRET_WORDS = frozenset({
    "password", "passwords", "passwd", "pwd", "pass", "passphrase",
    "token", "tokens", "key", "keys", "apikey", "secret", "secrets",
    "credential", "credentials", "private", "cookie", "salt", "cert", "certificate", "signature",
})
FREE_FORM_FIELDS = frozenset({"env", "addEnv", "envVars", "extraEnv", "sessionEnv", "args", "command"})
NAME_LISTS = frozenset({"imagePullSecrets"})
SECRET_REFERENCE_FIELDS = frozenset({"type", "source", "name", "vaultName"})
URL_WITH_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s@]+@", re.IGNORECASE)
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True)
class Setting:
    path: str
    value: str


def words(field: str) -> list[str]:
    """`existingSecretKey` → existing, secret, key; `AWS_SECRET_ACCESS_KEY` → aws, secret, access, key."""
    return [w.lower() for w in WORD.findall(field)]


def is_secret_reference(field: str, value: Any) -> bool:
    """`secret`, `workloadSecret`, `mainDatabaseCredentialSecret`: a mapping naming a Secret (type, name)."""
    parts = words(field)
    return bool(parts) and parts[-1] == "secret" and isinstance(value, Mapping)


def looks_secret(field: str) -> bool:
    parts = words(field)
    if parts and parts[-1] in ("name", "names"):
        return False
    return any(part in SECRET_WORDS for part in parts)


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return None if URL_WITH_CREDENTIALS.search(value) else value
    return None


def _walk(value: Any, path: str, *, in_secret_reference: bool = False) -> Iterator[Setting]:
    if isinstance(value, Mapping):
        for field in sorted(value):
            child = value[field]
            if not isinstance(field, str) or field in FREE_FORM_FIELDS:
                continue
            if in_secret_reference and field not in SECRET_REFERENCE_FIELDS:
                continue
            reference = is_secret_reference(field, child)
            if looks_secret(field) and not reference and field not in NAME_LISTS:
                continue
            yield from _walk(child, f"{path}.{field}" if path else field, in_secret_reference=reference)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", in_secret_reference=in_secret_reference)
    else:
        text = _scalar(value)
        if text is not None:
            yield Setting(path, text)


def site_settings(spec: Mapping[str, Any]) -> list[Setting]:
    """The Site spec flattened to `dotted.path = value` rows, secrets left out (see the module's rules)."""
    return list(_walk(spec, ""))
