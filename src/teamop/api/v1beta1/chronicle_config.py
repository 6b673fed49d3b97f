"""Chronicle's posit-chronicle.gcfg as the Chronicle CR carries it."""

from __future__ import annotations

from pydantic import Field

from teamop.api.v1beta1.base import ConfigSection


class ListenConfig(ConfigSection):
    """A section with a listen address ([Http])."""

    listen: str | None = None


class SwitchedListenConfig(ConfigSection):
    """A section that can be switched on and listens on an address ([Metrics], [Profiling])."""

    enabled: bool | None = None
    listen: str | None = None


class ChronicleLoggingConfig(ConfigSection):
    """[Logging]"""

    service_log: str | None = None
    service_log_level: str | None = None
    service_log_format: str | None = None


class ChronicleLocalStorageConfig(ConfigSection):
    """[LocalStorage]"""

    enabled: bool | None = None
    location: str | None = None


class ChronicleS3StorageConfig(ConfigSection):
    """[S3Storage]"""

    enabled: bool | None = None
    bucket: str | None = None
    prefix: str | None = None
    region: str | None = None


class ChronicleConfig(ConfigSection):
    """Chronicle's configuration file (posit-chronicle.gcfg), section by section."""

    http: ListenConfig | None = None
    metrics: SwitchedListenConfig | None = None
    profiling: SwitchedListenConfig | None = None
    s3_storage: ChronicleS3StorageConfig | None = Field(default=None, alias="S3Storage")
    local_storage: ChronicleLocalStorageConfig | None = None
    logging: ChronicleLoggingConfig | None = None
