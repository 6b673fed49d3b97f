"""The objects `teamop dev up` applies: the namespace, the Go operator's two Secrets, and the Site."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]


class ManifestError(ValueError):
    pass


@dataclass
class SiteManifest:
    site: Object
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.site["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.site["metadata"]["namespace"])

    @property
    def workload_secret(self) -> str:
        return str(self.site["spec"]["workloadSecret"]["vaultName"])

    @property
    def credential_secret(self) -> str:
        return str(self.site["spec"]["mainDatabaseCredentialSecret"]["vaultName"])


def load_site(path: Path, namespace: str | None) -> SiteManifest:
    """The one Site in `path`, in `namespace` (else its own, else posit-team). Its `workloadSecret` and
    `mainDatabaseCredentialSecret` are filled in when it names none, since `dev up` creates both Secrets."""
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    except OSError as error:
        raise ManifestError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ManifestError(f"{path} is not valid YAML: {error}") from None
    sites = [d for d in documents if isinstance(d, dict) and d.get("kind") == "Site"]
    if len(sites) != 1:
        raise ManifestError(f"{path} holds {len(sites)} Sites; `teamop dev up --site` takes a file with exactly one")
    site: Object = copy.deepcopy(sites[0])
    manifest = SiteManifest(site)
    if len(documents) > 1:
        manifest.notes.append(f"applying only the Site from {path} ({len(documents) - 1} other document(s) ignored; "
                              "dev up creates the Secrets itself)")
    metadata = site.setdefault("metadata", {})
    if not metadata.get("name"):
        raise ManifestError(f"the Site in {path} has no metadata.name")
    metadata["namespace"] = namespace or metadata.get("namespace") or "posit-team"
    spec = site.setdefault("spec", {})
    if not isinstance(spec, dict):
        raise ManifestError(f"the Site in {path} has a spec that is not a mapping")
    for key, default in (("workloadSecret", metadata["name"]),
                         ("mainDatabaseCredentialSecret", f"{metadata['name']}-db-creds")):
        config = spec.get(key)
        if not isinstance(config, dict) or not config.get("vaultName"):
            spec[key] = {"type": "kubernetes", "vaultName": default}
            manifest.notes.append(f"the Site names no spec.{key}; using Secret {default!r}")
    return manifest


def namespace_object(name: str) -> Object:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def secret(name: str, namespace: str, data: dict[str, str]) -> Object:
    labels = {"app.kubernetes.io/created-by": "teamop-dev"}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def database_secrets(manifest: SiteManifest, admin_url: str, username: str, password: str) -> list[Object]:
    """The Go operator's layout (config/samples/secrets.yaml): the workload Secret holds `main-database-url`
    without credentials, the credential Secret `username` and `password`. One Secret when both names agree."""
    workload = {"main-database-url": admin_url}
    credentials = {"username": username, "password": password}
    if manifest.workload_secret == manifest.credential_secret:
        return [secret(manifest.workload_secret, manifest.namespace, {**workload, **credentials})]
    return [secret(manifest.workload_secret, manifest.namespace, workload),
            secret(manifest.credential_secret, manifest.namespace, credentials)]


def stream(*objects: Object) -> str:
    """A YAML stream of `objects` for `kubectl apply -f -` (a `List` would make kubectl fetch the whole OpenAPI
    v2 document first, a second or more on a fresh API server)."""
    return "\n---\n".join(json.dumps(obj) for obj in objects)
