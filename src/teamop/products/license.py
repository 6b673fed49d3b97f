"""How a product gets its licence (BEHAVIOUR.md "Licences").

Interface (stable):

- `LicenseLayout` per product: `CONNECT_LICENSE`, `PACKAGE_MANAGER_LICENSE`, `WORKBENCH_LICENSE` — the env
  names, file path and site-secret key the product uses.
- `site_secret_license_needs(license, layout)` — the site secret's licence key, for the controller to resolve
  into `secrets` when the spec names no licence of its own.
- `license_parts(site, namespace, component, license, layout, secrets) -> LicenseParts` — what to add to the
  pod, and possibly a Secret to create:
  - `type: FILE` (or empty) with `existingSecretName`: that Secret mounted read-only (sub-path
    `existingSecretKey`) at the layout's file path, `<PRODUCT>_LICENSE_FILE_PATH` pointing at it; a product whose
    licence directory must stay writable gets an emptyDir under the file (`cover_volume`).
  - `type: KEY` with `key`: a Secret `<site>-<component>-license` holding the key (so it never sits in the pod
    spec), and `<PRODUCT>_LICENSE` from it. Without `key`, the site secret's licence key (`pub-license` …) when
    the controller resolved it into `secrets`.
  - nothing to go on: no parts (`LicenseParts.missing` is true, for the controller to report).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from teamop.api.v1beta1.common import LicenseSpec
from teamop.products.context import SecretKeyRef, SecretNeed
from teamop.products.naming import child_name
from teamop.products.objects import secret
from teamop.products.workload import PodParts, env_from_secret, env_value

LICENSE_VOLUME = "license-volume"
LICENSE_KEY_SECRET_KEY = "license-key"


@dataclass(frozen=True)
class LicenseLayout:
    key_env: str
    file_path_env: str
    file_path: str
    site_secret_key: str
    cover_volume: str | None = None
    """An emptyDir mounted on the licence file's directory (the product writes beside the licence)."""


CONNECT_LICENSE = LicenseLayout(
    key_env="RSC_LICENSE",
    file_path_env="RSC_LICENSE_FILE_PATH",
    file_path="/etc/rstudio-connect/license.lic",
    site_secret_key="pub-license",
)
PACKAGE_MANAGER_LICENSE = LicenseLayout(
    key_env="RSPM_LICENSE",
    file_path_env="RSPM_LICENSE_FILE_PATH",
    file_path="/etc/rstudio-pm/license/license.lic",
    site_secret_key="pkg-license",
    cover_volume="license-volume-emptydir",
)
WORKBENCH_LICENSE = LicenseLayout(
    key_env="RSW_LICENSE",
    file_path_env="RSW_LICENSE_FILE_PATH",
    file_path="/etc/rstudio-server/license.lic",
    site_secret_key="dev-license",
    cover_volume="license-emptydir",
)


@dataclass
class LicenseParts:
    pod: PodParts = field(default_factory=PodParts)
    secret: dict[str, Any] | None = None
    missing: bool = False


def site_secret_license_needs(license: LicenseSpec | None, layout: LicenseLayout) -> list[SecretNeed]:
    """The site secret's licence key, used when present, for a spec that names neither a key nor a Secret."""
    if license is None or (license.type == "KEY" and not license.key) or (
        license.type != "KEY" and not license.existing_secret_name
    ):
        return [SecretNeed(layout.site_secret_key, generate=False)]
    return []


def license_secret_name(site: str, component: str) -> str:
    return child_name(site, component, "license")


def license_parts(
    site: str,
    namespace: str,
    component: str,
    license: LicenseSpec | None,
    layout: LicenseLayout,
    secrets: Mapping[str, SecretKeyRef],
) -> LicenseParts:
    license = license or LicenseSpec()
    if license.type == "KEY":
        return _key_parts(site, namespace, component, license, layout, secrets)
    if license.existing_secret_name:
        return LicenseParts(pod=_file_parts(license.existing_secret_name, license.existing_secret_key, layout))
    site_key = secrets.get(layout.site_secret_key)
    if site_key is not None:
        return LicenseParts(pod=_file_parts(site_key.name, site_key.key, layout))
    return LicenseParts(missing=True)


def _key_parts(
    site: str,
    namespace: str,
    component: str,
    license: LicenseSpec,
    layout: LicenseLayout,
    secrets: Mapping[str, SecretKeyRef],
) -> LicenseParts:
    if license.key:
        name = license_secret_name(site, component)
        body = secret(site, namespace, component, name, {LICENSE_KEY_SECRET_KEY: license.key})
        ref = SecretKeyRef(name=name, key=LICENSE_KEY_SECRET_KEY)
        return LicenseParts(pod=PodParts(env=[env_from_secret(layout.key_env, ref)]), secret=body)
    site_key = secrets.get(layout.site_secret_key)
    if site_key is None:
        return LicenseParts(missing=True)
    return LicenseParts(pod=PodParts(env=[env_from_secret(layout.key_env, site_key)]))


def _file_parts(secret_name: str, secret_key: str | None, layout: LicenseLayout) -> PodParts:
    file_name = layout.file_path.rsplit("/", 1)[1]
    volume = {"name": LICENSE_VOLUME, "secret": {"secretName": secret_name, "defaultMode": 420}}
    return license_file_parts(layout, volume, secret_key or file_name)


def license_file_parts(layout: LicenseLayout, volume: dict[str, Any], sub_path: str) -> PodParts:
    """The licence file `sub_path` of `volume` at the product's licence path, and the env naming it; a product that
    writes beside its licence gets an emptyDir over the licence's directory."""
    parts = PodParts(env=[env_value(layout.file_path_env, layout.file_path)])
    if layout.cover_volume:
        directory = layout.file_path.rsplit("/", 1)[0]
        parts.volumes.append({"name": layout.cover_volume, "emptyDir": {}})
        parts.mounts.append({"name": layout.cover_volume, "mountPath": directory})
    parts.volumes.append(volume)
    parts.mounts.append({"name": volume["name"], "mountPath": layout.file_path, "subPath": sub_path, "readOnly": True})
    return parts
