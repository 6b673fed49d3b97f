"""Secret values a product needs: the user's, from the site secret, when it has the key; otherwise generated once
into `<site>-<component>-generated` (owned by the product) and never generated again (COMPAT.md "Secrets").

An encryption key a user already has is never replaced, and a generated one is never regenerated: a migrated
product's data stays readable. Values are never logged.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from teamop.controllers.kinds import SECRET
from teamop.controllers.secrets import decode_data, secret_data
from teamop.products.context import SecretKeyRef, SecretNeed
from teamop.products.naming import component_labels, generated_secret_name
from teamop.runtime.cache import InformerCache
from teamop.runtime.client import Client
from teamop.runtime.errors import NotFound


def new_value(kind: str) -> str:
    if kind == "hex-key":
        return secrets.token_hex(32)
    if kind == "rsa-private-key":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    return secrets.token_urlsafe(24)


def public_key_of(private_pem: str) -> str:
    """The PEM public key of a PEM private key (stored beside it under `<key>.pub`)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class ResolvedSecrets:
    refs: dict[str, SecretKeyRef] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict, repr=False)
    """Logical key -> value, for the few files that must hold a value in their text. Never log these."""
    generated: dict[str, Any] | None = None
    """The `<site>-<component>-generated` Secret to keep (None when every key came from the site secret)."""
    from_site_secret: list[str] = field(default_factory=list)
    newly_generated: list[str] = field(default_factory=list)


async def resolve_secrets(
    client: Client,
    cache: InformerCache,
    *,
    namespace: str,
    site: str,
    component: str,
    site_secret: str | None,
    needs: Iterable[SecretNeed],
    fixed: Mapping[str, str] | None = None,
) -> ResolvedSecrets:
    """Where each needed key lives. A missing site secret is not an error: everything is generated then."""
    user = secret_data(cache, namespace, site_secret) if site_secret else None
    name = generated_secret_name(site, component)
    kept = secret_data(cache, namespace, name) or {}
    resolved = ResolvedSecrets()
    values: dict[str, str] = {}
    missing: list[SecretNeed] = []
    needs = list(needs)
    for need in needs:
        if user and user.get(need.key):
            assert site_secret is not None
            resolved.refs[need.key] = SecretKeyRef(site_secret, need.key)
            resolved.values[need.key] = user[need.key]
            resolved.from_site_secret.append(need.key)
        elif kept.get(need.key):
            values[need.key] = kept[need.key]
            resolved.refs[need.key] = SecretKeyRef(name, need.key)
        elif need.generate:
            missing.append(need)
    if missing:
        # The cache may lag behind a Secret we wrote a moment ago: ask the server before generating anything.
        try:
            live = decode_data(await client.get(SECRET, name, namespace))
        except NotFound:
            live = {}
        for need in missing:
            if live.get(need.key):
                values[need.key] = live[need.key]
            else:
                values[need.key] = new_value(need.kind)
                resolved.newly_generated.append(need.key)
            resolved.refs[need.key] = SecretKeyRef(name, need.key)
    for need in needs:
        if need.kind == "rsa-private-key" and need.key in values:
            values[f"{need.key}.pub"] = public_key_of(values[need.key])
    for key, value in (fixed or {}).items():  # values teamop decides (a role name): always kept as they are
        values[key] = value
        resolved.refs[key] = SecretKeyRef(name, key)
    resolved.values.update(values)
    if values:
        # Keys generated earlier but no longer needed stay: dropping a key could lose data a user relies on.
        values = {**{k: v for k, v in kept.items() if k not in values}, **values}
        resolved.generated = generated_secret(site, namespace, component, values)
    return resolved


def generated_keys(needs: Iterable[SecretNeed]) -> list[str]:
    """The keys `<site>-<component>-generated` holds when the site secret has none of `needs`."""
    keys: list[str] = []
    for need in needs:
        if need.generate:
            keys.append(need.key)
            if need.kind == "rsa-private-key":
                keys.append(f"{need.key}.pub")
    return keys


def generated_secret(site: str, namespace: str, component: str, values: Mapping[str, str], *,
                     encode: bool = True) -> dict[str, Any]:
    """The `<site>-<component>-generated` Secret holding `values` (base64 under `data`; `encode=False` puts the
    texts there as they are, for placeholders)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": generated_secret_name(site, component), "namespace": namespace,
                     "labels": component_labels(site, component)},
        "data": {key: base64.b64encode(value.encode()).decode() if encode else value
                 for key, value in sorted(values.items())},
    }
