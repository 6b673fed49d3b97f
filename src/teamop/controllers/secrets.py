"""Reading users' Secrets, and the database admin login of the Go operator's secret contract.

Secrets are read by name (`secret_reader`): teamop's own from their informer, the ones a Site or a database names
with a GET kept until they change; the Secrets in scope are watched as metadata only, so neither every Secret's data
nor its managedFields are cached.
"""

from __future__ import annotations

import base64
import binascii
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from teamop.controllers.kinds import SECRET
from teamop.db.server import InvalidDatabaseURL, ServerLogin, parse_admin_url
from teamop.products.aws_secrets import is_aws, synced_secret_name
from teamop.runtime.cache import InformerCache
from teamop.runtime.namedreader import NamedReader

if TYPE_CHECKING:
    from teamop.runtime.manager import Manager

ADMIN_URL_KEY = "main-database-url"


class SecretProblem(Exception):
    """A Secret the spec points to is missing, unusable or of a kind teamop cannot read. `field` names the spec
    field that points to it; the message never holds a secret value."""

    def __init__(self, reason: str, field: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field


_readers: weakref.WeakKeyDictionary[InformerCache, NamedReader] = weakref.WeakKeyDictionary()


def secret_reader(manager: Manager) -> NamedReader:
    """The manager's reader of Secrets by name (one per manager; create it when the controllers are set up, before
    the informers: it makes the manager's unfiltered Secret informers metadata-only)."""
    reader = _readers.get(manager.cache)
    if reader is None:
        reader = _readers[manager.cache] = NamedReader(
            manager.cache, SECRET, namespaces=manager.namespaces, owned_selector=manager.managed_by.selector)
    return reader


async def secret_data(secrets: NamedReader, namespace: str, name: str) -> dict[str, str] | None:
    """The decoded data of a Secret, or None when there is no such Secret."""
    secret = await secrets.get(name, namespace)
    if secret is None:
        return None
    return decode_data(secret)


def decode_data(secret: Mapping[str, Any]) -> dict[str, str]:
    decoded: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            decoded[key] = base64.b64decode(value).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue
    for key, value in (secret.get("stringData") or {}).items():
        decoded.setdefault(key, value)
    return decoded


def kubernetes_secret_name(config: Mapping[str, Any] | None, field: str) -> str | None:
    """`vaultName` of a SecretConfig of type kubernetes (or no type); None when the config is absent. Other
    types (aws) are named in a SecretProblem: teamop reads Kubernetes Secrets only."""
    if not config or not config.get("vaultName"):
        return None
    kind = config.get("type") or "kubernetes"
    if kind not in ("kubernetes", "test"):
        raise SecretProblem(
            "UnsupportedSecretType", field,
            f"{field}.type is {kind!r}: teamop reads Kubernetes Secrets only; create a Secret named "
            f"{config['vaultName']!r} in the namespace and set {field}.type to kubernetes",
        )
    return str(config["vaultName"])


def admin_secret_name(config: Mapping[str, Any] | None, field: str) -> str | None:
    """The Kubernetes Secret holding an admin login part: `vaultName` for type kubernetes; for type aws the
    Secret the Secrets Store CSI driver syncs the AWS secret into, `synced_secret_name(vaultName)` (see README:
    the platform engineer's SecretProviderClass and the pod that mounts it). None when the config is absent."""
    if config and config.get("vaultName") and is_aws(config):
        return synced_secret_name(str(config["vaultName"]))
    return kubernetes_secret_name(config, field)


def read_secret_name(config: Mapping[str, Any] | None) -> str | None:
    """The Kubernetes Secret a SecretConfig is read from, for watches (never raises): its `vaultName`, or for
    type aws the Secret the CSI driver syncs the admin login into."""
    vault = (config or {}).get("vaultName")
    if not vault:
        return None
    return synced_secret_name(str(vault)) if is_aws(config) else str(vault)


def _not_found(name: str, field: str, config: Mapping[str, Any] | None) -> SecretProblem:
    if is_aws(config):
        return SecretProblem(
            "WaitingForSecretSync", field,
            f"Secret {name!r} ({field}: AWS secret {str((config or {}).get('vaultName'))!r}) not found: waiting for "
            "the Secrets Store CSI driver to sync it (a SecretProviderClass syncing it must be mounted by a pod)")
    return SecretProblem("SecretNotFound", field, f"Secret {name!r} ({field}) not found")


async def admin_login(
    secrets: NamedReader,
    namespace: str,
    workload_secret: Mapping[str, Any] | None,
    credential_secret: Mapping[str, Any] | None,
    *,
    workload_field: str = "spec.workloadSecret",
    credential_field: str = "spec.mainDatabaseCredentialSecret",
) -> ServerLogin:
    """The PostgreSQL admin login: URL under `main-database-url` of the workload Secret, user and password from
    the credential Secret's `username`/`password` when it has them. Either may be of type aws: read from the
    Secret the CSI driver syncs it into (`admin_secret_name`)."""
    url_secret = admin_secret_name(workload_secret, workload_field)
    if url_secret is None:
        raise SecretProblem("DatabaseNotConfigured", workload_field,
                            f"{workload_field} is not set: it names the Secret holding {ADMIN_URL_KEY}")
    data = await secret_data(secrets, namespace, url_secret)
    if data is None:
        raise _not_found(url_secret, workload_field, workload_secret)
    url = data.get(ADMIN_URL_KEY)
    if not url:
        raise SecretProblem("SecretKeyMissing", workload_field,
                            f"Secret {url_secret!r} ({workload_field}) has no key {ADMIN_URL_KEY!r}")
    username = password = None
    credentials_name = admin_secret_name(credential_secret, credential_field)
    if credentials_name is not None:
        credentials = await secret_data(secrets, namespace, credentials_name)
        if credentials is None:
            raise _not_found(credentials_name, credential_field, credential_secret)
        username, password = credentials.get("username"), credentials.get("password")
    try:
        return parse_admin_url(url, username=username, password=password)
    except InvalidDatabaseURL as error:
        raise SecretProblem("InvalidDatabaseURL", workload_field,
                            f"key {ADMIN_URL_KEY!r} of Secret {url_secret!r} ({workload_field}): {error}") from None
