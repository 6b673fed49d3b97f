"""Package Manager's rstudio-pm.gcfg as the PackageManager CR carries it."""

from __future__ import annotations

from pydantic import Field

from teamop.api.v1beta1.base import ConfigSection


class PackageManagerServerConfig(ConfigSection):
    """[Server]"""

    address: str | None = None
    r_version: list[str] | None = Field(default=None, alias="RVersion")
    launcher_dir: str | None = None
    data_dir: str | None = None
    access_log: str | None = None
    access_log_format: str | None = None


class PackageManagerHttpConfig(ConfigSection):
    """[Http]"""

    listen: str | None = None


class PackageManagerGitConfig(ConfigSection):
    """[Git]"""

    allow_unsandboxed_git_builds: bool | None = None


class PackageManagerDatabaseConfig(ConfigSection):
    """[Database]"""

    provider: str | None = None


class PackageManagerPostgresConfig(ConfigSection):
    """[Postgres]"""

    url: str | None = Field(default=None, alias="URL")
    usage_data_url: str | None = Field(default=None, alias="UsageDataURL")


class PackageManagerStorageConfig(ConfigSection):
    """[Storage]"""

    default: str | None = None


class S3StorageConfig(ConfigSection):
    """[S3Storage]"""

    bucket: str | None = None
    prefix: str | None = None
    region: str | None = None


class PackageManagerMetricsConfig(ConfigSection):
    """[Metrics]"""

    enabled: bool | None = None


class PackageManagerReposConfig(ConfigSection):
    """[Repos]"""

    cran: str | None = Field(default=None, alias="CRAN")
    bioconductor: str | None = None
    py_pi: str | None = Field(default=None, alias="PyPI")


class PackageManagerCranConfig(ConfigSection):
    """[CRAN] (deprecated)"""

    rsf: bool | None = Field(default=None, alias="RSF")


class PackageManagerDebugConfig(ConfigSection):
    """[Debug]"""

    log: str | None = None


class PackageManagerConfig(ConfigSection):
    """Package Manager's configuration file (rstudio-pm.gcfg), section by section."""

    server: PackageManagerServerConfig | None = None
    http: PackageManagerHttpConfig | None = None
    git: PackageManagerGitConfig | None = None
    database: PackageManagerDatabaseConfig | None = None
    postgres: PackageManagerPostgresConfig | None = None
    storage: PackageManagerStorageConfig | None = None
    s3_storage: S3StorageConfig | None = Field(default=None, alias="S3Storage")
    metrics: PackageManagerMetricsConfig | None = None
    repos: PackageManagerReposConfig | None = None
    cran: PackageManagerCranConfig | None = Field(default=None, alias="CRAN")
    debug: PackageManagerDebugConfig | None = None
