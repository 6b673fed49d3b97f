"""The server's settings: the reference image's environment contract, plus flags for running it locally."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SERVICE_ACCOUNT_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
DEFAULT_PORT = 8080

LogFormat = Literal["text", "json"]
LOG_LEVELS = ("debug", "info", "warn", "warning", "error")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    site_name: str
    namespace: str
    kubeconfig: str | None
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    show_config: bool = False
    show_academy: bool = False
    log_level: str = "info"
    log_format: LogFormat = "text"


def parse_bool(name: str, value: str | None) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


def parse_log_level(value: str | None) -> str:
    level = (value or "info").strip().lower()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of debug, info, warn, error, not {value!r}")
    return "warning" if level == "warn" else level


def parse_log_format(value: str | None) -> LogFormat:
    word = (value or "text").strip().lower()
    if word in ("text", "console"):
        return "text"
    if word == "json":
        return "json"
    raise SettingsError(f"LOG_FORMAT must be text or json, not {value!r}")


DESCRIPTION = (
    "Serve a Site's landing page (the Flightdeck container contract: SITE_NAME, SHOW_CONFIG, SHOW_ACADEMY, "
    "LOG_LEVEL, LOG_FORMAT from the environment; port 8080)."
)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of `teamop flightdeck serve` (for local runs; in a pod the environment says everything)."""
    parser.add_argument("--site", help="the Site to show (default: $SITE_NAME)")
    parser.add_argument(
        "--namespace",
        help="the Site's namespace (default: $POD_NAMESPACE, else the pod's ServiceAccount namespace)",
    )
    parser.add_argument("--kubeconfig", help="use this kubeconfig instead of the in-cluster ServiceAccount")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on (default: %(default)s)")
    return parser


def argument_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="teamop flightdeck serve", description=DESCRIPTION))


def _namespace(flag: str | None, environ: Mapping[str, str], namespace_file: Path) -> str:
    if flag:
        return flag
    if environ.get("POD_NAMESPACE"):
        return environ["POD_NAMESPACE"]
    try:
        from_file = namespace_file.read_text().strip()
    except OSError:
        from_file = ""
    if from_file:
        return from_file
    raise SettingsError(
        f"the namespace is unknown: not in a pod ({namespace_file} is missing); pass --namespace or set POD_NAMESPACE"
    )


def load_settings(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    namespace_file: Path = SERVICE_ACCOUNT_NAMESPACE_FILE,
) -> Settings:
    """Flags win over the environment; raises SettingsError (or SystemExit for bad flags, as argparse does)."""
    return settings_from(argument_parser().parse_args(list(argv)), environ, namespace_file=namespace_file)


def settings_from(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    *,
    namespace_file: Path = SERVICE_ACCOUNT_NAMESPACE_FILE,
) -> Settings:
    """Settings from parsed flags (see `add_arguments`) and the environment; raises SettingsError."""
    site_name = args.site or environ.get("SITE_NAME", "").strip()
    if not site_name:
        raise SettingsError("SITE_NAME is not set: name the Site to show (or pass --site)")
    if not 0 < args.port < 65536:
        raise SettingsError(f"--port must be between 1 and 65535, not {args.port}")
    return Settings(
        site_name=site_name,
        namespace=_namespace(args.namespace, environ, namespace_file),
        kubeconfig=args.kubeconfig or None,
        host=args.host,
        port=args.port,
        show_config=parse_bool("SHOW_CONFIG", environ.get("SHOW_CONFIG")),
        show_academy=parse_bool("SHOW_ACADEMY", environ.get("SHOW_ACADEMY")),
        log_level=parse_log_level(environ.get("LOG_LEVEL")),
        log_format=parse_log_format(environ.get("LOG_FORMAT")),
    )
