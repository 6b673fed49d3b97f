"""What a product controller does for `secret.type: aws` (see `products/aws_secrets.py`).

- `aws_keys(...)`: where each key the product needs lives — the Kubernetes Secrets the Secrets Store CSI driver
  syncs from AWS Secrets Manager (referenced, never copied); the keys the reference generates even then
  (Workbench's cookie and launcher keys) are resolved as for a Kubernetes site secret, without one. Which synced
  Secrets are not there yet (the driver syncs only once a pod mounts the volume) is reported, never an error:
  everything is applied, the product waits, the Secret's watch event brings the controller back.
- `set_secrets_synced(conditions, ...)`: the `SecretsSynced` condition, and why the product is not Ready yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from teamop.controllers.generated import RecentWrites, ResolvedSecrets, resolve_secrets
from teamop.controllers.secrets import secret_data
from teamop.products.aws_secrets import SECRET_PROVIDER_CLASS, SECRET_PROVIDER_CLASS_CRD, AwsSecrets
from teamop.products.context import SecretNeed
from teamop.runtime.client import Client
from teamop.runtime.conditions import Conditions
from teamop.runtime.namedreader import NamedReader

WAITING_REASON = "WaitingForSecretSync"
CRD_MISSING_REASON = "SecretProviderClassCRDMissing"
VALUE_KEYS = frozenset({"dev-client-secret"})
"""Keys whose value teamop writes into a file it renders (Workbench's openid-client-secret); left out until their
synced Secret exists, so that the rest of the product is applied meanwhile."""


@dataclass
class AwsKeys:
    resolved: ResolvedSecrets
    missing: list[str] = field(default_factory=list)
    """Synced Secrets that do not exist yet (names only)."""
    provider_classes: list[str] = field(default_factory=list)
    served: bool = True
    """Whether SecretProviderClasses are served (their CRD is installed)."""


def waiting_message(missing: list[str], provider_classes: list[str]) -> str:
    return (f"waiting for the Secrets Store CSI driver to sync Secret {', '.join(missing)} from AWS Secrets "
            f"Manager (SecretProviderClass {', '.join(provider_classes)}; the driver syncs once a pod mounts it)")


def crd_missing_message() -> str:
    return (f"CRD {SECRET_PROVIDER_CLASS_CRD} is not installed: secret.type aws needs the Secrets Store CSI "
            "driver and its AWS provider; the product's secrets cannot come from AWS Secrets Manager")


async def aws_keys(client: Client, secrets: NamedReader, *, namespace: str, site: str, component: str,
                   needs: list[SecretNeed], aws: AwsSecrets, recent: RecentWrites | None = None) -> AwsKeys:
    """Every need: from a synced Secret when the reference syncs it, generated (once, kept) when the reference
    generates it even with AWS, else left to the CSI mount (licences, tokens: files the pods read)."""
    generated_needs = [need for need in needs if need.key not in aws.refs and need.generate]
    resolved = await resolve_secrets(client, secrets, namespace=namespace, site=site, component=component,
                                     site_secret=None, needs=generated_needs, recent=recent)
    found: dict[str, Mapping[str, str] | None] = {}
    for name in aws.synced_secrets():
        found[name] = await secret_data(secrets, namespace, name)
    wanted = {need.key for need in needs}
    for key, ref in aws.refs.items():
        data = found.get(ref.name)
        if key in VALUE_KEYS:
            if not data or not data.get(ref.key):
                continue  # the file waits for the sync
            resolved.values[key] = data[ref.key]
        if key in wanted:
            resolved.refs[key] = ref
    return AwsKeys(resolved, sorted(name for name, data in found.items() if data is None),
                   [provider.name for provider in aws.provider_classes])


def without_provider_classes(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] != SECRET_PROVIDER_CLASS.kind]


def set_secrets_synced(conditions: Conditions, keys: AwsKeys | None) -> str | None:
    """`SecretsSynced` for a product of secret.type aws (removed otherwise); returns why the product cannot be
    Ready yet (None: nothing to wait for)."""
    if keys is None:
        conditions.remove("SecretsSynced")
        return None
    if not keys.served:
        message = crd_missing_message()
        conditions.set("SecretsSynced", False, CRD_MISSING_REASON, message)
        return message
    if keys.missing:
        message = waiting_message(keys.missing, keys.provider_classes)
        conditions.set("SecretsSynced", False, WAITING_REASON, message)
        return message
    conditions.set("SecretsSynced", True, "SecretsSynced",
                   f"SecretProviderClass {', '.join(keys.provider_classes)} synced from AWS Secrets Manager")
    return None
