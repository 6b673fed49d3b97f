"""The configuration the Site writes into the Connect, Package Manager and Chronicle resources: what the reference's
Site controller writes (its `site_controller_<product>.go`), with the Site's own values filled in — the schedule
concurrency, the warnings, mail, GPU limits, `debug`, `logFormat` and the S3 buckets. Each function returns a
product's `spec.config`, section → key → value, keys spelled as the product spells them."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products import chronicle, packagemanager
from teamop.products import connect_config as connect_gcfg

CONNECT_MAX_CPU = 4
CONNECT_MAX_MEMORY_BYTES = 8 * 1024**3
PACKAGE_MANAGER_R_VERSION = "/opt/R/default"
PACKAGE_MANAGER_LAUNCHER_DIR = "/var/lib/rstudio-pm/launcher_internal"
CHRONICLE_S3_REGION = "us-east-2"
"""The reference writes this region for every Site (it has no setting for it)."""


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None or an empty mapping/list."""
    return {k: v for k, v in values.items() if v is not None and v != {} and v != []}


def json_logs(spec: SiteSpec) -> bool:
    """`logFormat: json` (any case: the reference only understands `JSON`, teamop both spellings)."""
    return (spec.log_format or "").lower() == "json"


def connect_config(spec: SiteSpec, cran_repository: str | None) -> dict[str, Any]:
    section = spec.connect
    assert section is not None
    log_format = "JSON" if json_logs(spec) else "TEXT"
    server: dict[str, Any] = {
        "FrameOptionsDashboard": "NONE",
        "FrameOptionsContent": "NONE",
        "DefaultContentListView": "compact",
        "LoggedInWarning": section.logged_in_warning,
        "PublicWarning": section.public_warning,
        "HideEmailAddresses": True,
    }
    experimental = section.experimental_features
    if experimental and experimental.mail_sender:
        # The sender turns SMTP on; the Connect renderer then reads the pub-smtp-* keys of the site secret.
        server.update({
            "EmailProvider": "SMTP",
            "SenderEmail": experimental.mail_sender,
            "SenderEmailDisplayName": experimental.mail_display_name,
            "EmailTo": experimental.mail_target,
        })
    scheduler: dict[str, Any] = {
        "MaxMemoryRequest": CONNECT_MAX_MEMORY_BYTES,
        "MaxMemoryLimit": CONNECT_MAX_MEMORY_BYTES,
        "MaxCPURequest": CONNECT_MAX_CPU,
        "MaxCPULimit": CONNECT_MAX_CPU,
    }
    gpu = section.gpu_settings
    if gpu is not None:
        for key, value in (("NvidiaGPULimit", gpu.nvidia_gpu_limit), ("MaxNvidiaGPULimit", gpu.max_nvidia_gpu_limit),
                           ("AMDGPULimit", gpu.amd_gpu_limit), ("MaxAMDGPULimit", gpu.max_amd_gpu_limit)):
            if value:
                scheduler[key] = value
    return compact({
        "Applications": {
            "BundleRetentionLimit": 2,
            "PythonEnvironmentReaping": True,
            "OAuthIntegrationsEnabled": True,
            "ScheduleConcurrency": section.schedule_concurrency,
        },
        "Server": compact(server),
        "Http": {"ForceSecure": True, "Listen": f":{connect_gcfg.HTTP_PORT}"},
        "Metrics": {"PrometheusListen": f":{connect_gcfg.METRICS_PORT}"},
        "Logging": {
            "ServiceLog": "STDERR",
            "ServiceLogLevel": "INFO",
            "ServiceLogFormat": log_format,
            "AccessLog": "STDERR",
            "AccessLogFormat": "JSON" if json_logs(spec) else "COMMON",
            "AuditLogFormat": log_format,
        },
        "Authorization": {"DefaultUserRole": "publisher", "PublishersCanManageVanities": True},
        "R": {"Enabled": True, "PositPackageManagerURLRewriting": "force-binary"},
        "Quarto": {"Enabled": True},
        "Scheduler": scheduler,
        "RPackageRepositories": {name: {"Url": cran_repository} for name in ("CRAN", "RSPM")}
        if cran_repository else None,
    })


def package_manager_config(site: str, spec: SiteSpec) -> dict[str, Any]:
    section = spec.package_manager
    assert section is not None
    config: dict[str, Any] = {
        "Server": {
            "RVersion": [PACKAGE_MANAGER_R_VERSION],
            "LauncherDir": PACKAGE_MANAGER_LAUNCHER_DIR,
            "AccessLogFormat": "common",  # Package Manager has no JSON access log: logFormat leaves it alone
        },
        "Http": {"Listen": f":{packagemanager.HTTP_PORT}"},
        "Git": {"AllowUnsandboxedGitBuilds": True},
        "Metrics": {"Enabled": True},
        # Written even when empty, as the reference does: Package Manager gets a bare [Debug] section.
        "Debug": {"Log": "verbose"} if spec.debug else {},
        "Repos": {"PyPI": "pypi", "CRAN": "cran", "Bioconductor": "bioconductor"},
    }
    if section.s3_bucket:
        config["Storage"] = {"Default": "S3"}
        config["S3Storage"] = {"Bucket": section.s3_bucket, "Prefix": f"{site}/ppm-v0"}
    return config


def chronicle_config(site: str, spec: SiteSpec) -> dict[str, Any]:
    section = spec.chronicle
    assert section is not None
    config: dict[str, Any] = {
        "Http": {"Listen": f":{chronicle.HTTP_PORT}"},
        "Logging": {
            "ServiceLog": "STDOUT",
            "ServiceLogLevel": "DEBUG" if spec.debug else "INFO",
            "ServiceLogFormat": "JSON" if json_logs(spec) else "TEXT",
        },
        "Metrics": {"Enabled": True},
        "Profiling": {"Listen": f":{chronicle.PROFILING_PORT}"},
    }
    if section.s3_bucket:
        config["S3Storage"] = {"Enabled": True, "Bucket": section.s3_bucket, "Prefix": f"{site}/chr-v0",
                               "Region": CHRONICLE_S3_REGION}
    else:
        config["LocalStorage"] = {"Enabled": True, "Location": chronicle.DATA_DIR}
    return config
