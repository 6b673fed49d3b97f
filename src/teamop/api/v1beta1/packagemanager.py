"""Package Manager: the package repository."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from teamop.api.v1beta1.common import AzureFilesConfig, SSHKeyConfig
from teamop.api.v1beta1.packagemanager_config import PackageManagerConfig
from teamop.api.v1beta1.product import ProductSpec
from teamop.api.v1beta1.resource import Resource
from teamop.api.v1beta1.site import SSH_KEYS_ARE_A_MAP
from teamop.api.v1beta1.status import KeyedProductStatus


class PackageManagerSpec(ProductSpec):
    """PackageManagerSpec defines the desired state of PackageManager"""

    config: PackageManagerConfig | None = None
    """Package Manager's configuration file (rstudio-pm.gcfg)."""
    git_ssh_keys: list[SSHKeyConfig] | None = Field(
        default=None, alias="gitSSHKeys", json_schema_extra=SSH_KEYS_ARE_A_MAP
    )
    """GitSSHKeys are SSH keys for Git authentication of Package Manager's Git builders; names are unique."""
    azure_files: AzureFilesConfig | None = None
    """AzureFiles configures Azure Files integration for persistent storage"""


class PackageManagerStatus(KeyedProductStatus):
    """PackageManagerStatus defines the observed state of PackageManager"""


class PackageManager(Resource):
    """PackageManager is the Schema for the packagemanagers API"""

    kind: Literal["PackageManager"] = "PackageManager"
    spec: PackageManagerSpec
    status: PackageManagerStatus | None = None
