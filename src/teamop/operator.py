"""`teamop run`: the operator process. Every setting is a flag with an environment variable beside it."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from teamop.controllers.registry import DEFAULT_OPERATOR_IMAGE, OperatorSettings, controller_names, setup_operator
from teamop.runtime.client import FIELD_MANAGER, Client
from teamop.runtime.logging import configure_logging
from teamop.runtime.manager import LeadershipLost, Manager, own_namespace
from teamop.runtime.transport import raise_open_file_limit

log = structlog.get_logger("teamop")

LEASE_NAME = "team-operator"


def _count(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise ValueError(f"must be at least {minimum}")
        return number

    parse.__name__ = f"integer >= {minimum}"  # argparse names the type in its error message
    return parse


def _seconds(value: str) -> float:
    number = float(value)
    if not number >= 0:  # also rejects nan
        raise ValueError("must not be negative")
    return number


_seconds.__name__ = "number >= 0"

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(value: str) -> float:
    """Seconds, or a Go-style duration (`10h`, `1h30m`, `90s`); never negative."""
    text = value.strip()
    try:
        return _seconds(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"{value!r} is not a duration (e.g. 10h, 30m, 90s or 3600)")
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


_duration.__name__ = "duration"

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Setting:
    """One `teamop run` flag, the environment variable that gives its default, the built-in default (as the
    string a user would write) and the type argparse converts both to."""

    flag: str
    env: str
    default: str | None
    help: str
    type: Callable[[str], Any] = str

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting("--kubeconfig", "KUBECONFIG", None, "kubeconfig file (default: in-cluster config inside a pod)"),
    Setting("--watch-namespaces", "WATCH_NAMESPACES", "",
            "comma-separated namespaces to watch (empty: all namespaces)"),
    Setting("--metrics-bind-address", "METRICS_BIND_ADDRESS", ":8080", "address of /metrics ('0' to disable)"),
    Setting("--health-probe-bind-address", "HEALTH_PROBE_BIND_ADDRESS", ":8081",
            "address of /healthz and /readyz ('0' to disable)"),
    Setting("--leader-election-namespace", "LEADER_ELECTION_NAMESPACE", None,
            "namespace of the leader-election Lease (default: the operator's own)"),
    Setting("--leader-election-id", "LEADER_ELECTION_ID", LEASE_NAME, "name of the leader-election Lease"),
    Setting("--log-format", "LOG_FORMAT", "auto", "json, console, or auto (json in a cluster or without a tty)"),
    Setting("--log-level", "LOG_LEVEL", "info", "debug, info, warning or error"),
    Setting("--max-concurrent-reconciles", "MAX_CONCURRENT_RECONCILES", "2",
            "reconciles that may run at once, per controller", _count(1)),
    Setting("--max-parallel-applies", "MAX_PARALLEL_APPLIES", "8",
            "children of one owner written at once, phase by phase (1: one after another)", _count(1)),
    Setting("--qps", "KUBE_API_QPS", "0", "client-side request rate limit per second (0: off, as controller-runtime)",
            _seconds),
    Setting("--burst", "KUBE_API_BURST", "0", "client-side burst (with --qps; 0: 1.5 x qps)", _count(0)),
    Setting("--operator-image", "TEAMOP_IMAGE", DEFAULT_OPERATOR_IMAGE,
            "image Flightdeck runs when a Site names none (teamop's own image serves the landing page)"),
    Setting("--grace-period", "SHUTDOWN_GRACE_PERIOD", "30", "seconds in-flight reconciles get on SIGTERM",
            _seconds),
    Setting("--reconcile-timeout", "RECONCILE_TIMEOUT", "300",
            "seconds one reconcile may run before it is cancelled and retried with backoff (0: no limit)", _seconds),
    Setting("--resync-period", "RESYNC_PERIOD", "10h",
            "how often every Site, product and database is reconciled again with every object applied whatever the "
            "cache says (each wait jittered by 10%; seconds or a duration like 10h; 0: never)", _duration),
    Setting("--take-over-field-managers", "TAKE_OVER_FIELD_MANAGERS", FIELD_MANAGER,
            "comma-separated field managers whose Update-owned fields of the objects teamop controls are taken over "
            "(a previous operator's), so the objects end as teamop renders them (empty: none)"),
)
LEADER_ELECT_ENV = "LEADER_ELECT"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _flag(value: str) -> bool:
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ValueError(f"{LEADER_ELECT_ENV}={value!r}: expected true or false")


def add_setting(parser: argparse.ArgumentParser, setting: Setting) -> None:
    """`setting` as a flag whose default comes from its environment variable when that is set."""
    default = os.environ.get(setting.env, setting.default)
    shown = f" (default: {setting.default})" if setting.default not in (None, "") else ""
    parser.add_argument(setting.flag, default=default, type=setting.type,
                        help=f"{setting.help}{shown} [${setting.env}]".replace("%", "%%"))


def setting(flag: str) -> Setting:
    """The `teamop run` setting of `flag` (other commands take some of them too)."""
    return next(s for s in SETTINGS if s.flag == flag)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `teamop run`; each takes its default from its environment variable when that is set (argparse
    converts and checks an environment value as it does a flag's, so a bad one is reported the same way)."""
    for setting in SETTINGS:
        add_setting(parser, setting)
    try:
        default_election = _flag(os.environ.get(LEADER_ELECT_ENV, "false"))
    except ValueError as error:
        parser.error(str(error))
    parser.add_argument("--leader-elect", action=argparse.BooleanOptionalAction, default=default_election,
                        help="elect a leader among replicas on a Lease before reconciling "
                             f"(default: off) [${LEADER_ELECT_ENV}]")


def _address(value: str | None) -> str | None:
    return None if value in (None, "", "0") else value


def namespaces_of(value: str | None) -> list[str] | None:
    """`--watch-namespaces`: comma-separated names, blanks and repeats ignored; None (all namespaces) when empty.
    Raises ValueError naming the first name that is not a namespace name (a DNS label)."""
    names = list(dict.fromkeys(name.strip() for name in (value or "").split(",") if name.strip()))
    for name in names:
        if not _DNS_LABEL.fullmatch(name):
            raise ValueError(f"--watch-namespaces: {name!r} is not a namespace name (lower-case DNS label)")
    return names or None


def field_managers_of(value: str | None) -> list[str]:
    """`--take-over-field-managers`: comma-separated names, blanks and repeats ignored."""
    return list(dict.fromkeys(name.strip() for name in (value or "").split(",") if name.strip()))


def default_arguments(**overrides: Any) -> argparse.Namespace:
    """The arguments of `teamop run` with every setting at its built-in default (the environment is not read),
    then `overrides` (by destination name, e.g. `grace_period="10"`)."""
    values: dict[str, Any] = {setting.dest: setting.default for setting in SETTINGS}
    values["leader_elect"] = False
    unknown = set(overrides) - set(values)
    if unknown:
        raise TypeError(f"no such setting: {', '.join(sorted(unknown))}")
    return argparse.Namespace(**{**values, **overrides})


def build_manager(client: Client, args: argparse.Namespace) -> Manager:
    """The manager `teamop run` runs, with every controller registered, from its parsed arguments."""
    manager = Manager(
        client,
        namespaces=namespaces_of(args.watch_namespaces),
        leader_election=args.leader_elect,
        lease_name=args.leader_election_id,
        lease_namespace=args.leader_election_namespace or own_namespace(),
        health_addr=_address(args.health_probe_bind_address),
        metrics_addr=_address(args.metrics_bind_address),
        grace_period=float(args.grace_period),
        reconcile_timeout=float(args.reconcile_timeout) or None,
        max_parallel_applies=int(args.max_parallel_applies),
        resync_period=_duration(str(args.resync_period)) or None,
        take_over_field_managers=field_managers_of(args.take_over_field_managers),
    )
    setup_operator(manager, OperatorSettings(operator_image=args.operator_image,
                                             max_concurrent_reconciles=int(args.max_concurrent_reconciles)))
    return manager


async def run(args: argparse.Namespace) -> int:
    raise_open_file_limit()  # a connection per watch: one per kind and watched namespace
    qps = float(args.qps or 0)
    client = await Client.auto(args.kubeconfig, qps=qps or None,
                               burst=int(args.burst or 0) or None if qps else None)
    namespaces = namespaces_of(args.watch_namespaces)
    manager = build_manager(client, args)
    manager.install_signal_handlers()
    log.info(
        "teamop starting",
        watching=", ".join(namespaces) if namespaces else "all namespaces",
        controllers=", ".join(controller_names()),
        metrics=_address(args.metrics_bind_address) or "off",
        health=_address(args.health_probe_bind_address) or "off",
        leader_election=f"{manager.elector.lease_namespace}/{manager.elector.lease_name}" if manager.elector else "off",
    )
    try:
        await manager.run()
    except LeadershipLost as lost:
        log.error("leadership lost; exiting so that a new process takes over", reason=str(lost))
        return 1
    finally:
        await client.close()
    log.info("teamop stopped")
    return 0


def run_command(args: argparse.Namespace) -> int:
    log_format = {"text": "console"}.get(args.log_format, args.log_format)
    if log_format not in ("json", "console", "auto"):
        print(f"teamop run: --log-format must be json, console or auto, not {args.log_format!r}", file=sys.stderr)
        return 2
    try:
        namespaces_of(args.watch_namespaces)
        configure_logging(log_format, args.log_level)
    except ValueError as error:
        print(f"teamop run: {error}", file=sys.stderr)
        return 2
    return asyncio.run(run(args))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="teamop run")
    add_arguments(parser)
    return run_command(parser.parse_args(argv))
