"""`teamop run` settings: every one a flag with an environment variable, listed by --help, checked on parsing."""

from __future__ import annotations

import argparse

import pytest
from kubernetes_asyncio.client import ApiClient, Configuration

from teamop import operator
from teamop.cli import main
from teamop.operator import LEADER_ELECT_ENV, SETTINGS, Setting, field_managers_of, namespaces_of
from teamop.runtime.client import Client

# A value for each setting and what the parsed argument must then be.
SAMPLES: dict[str, tuple[str, object]] = {
    "--kubeconfig": ("/etc/teamop/kubeconfig", "/etc/teamop/kubeconfig"),
    "--watch-namespaces": ("posit-team,other", "posit-team,other"),
    "--metrics-bind-address": (":9090", ":9090"),
    "--health-probe-bind-address": ("127.0.0.1:9091", "127.0.0.1:9091"),
    "--leader-election-namespace": ("ops", "ops"),
    "--leader-election-id": ("teamop-lease", "teamop-lease"),
    "--log-format": ("console", "console"),
    "--log-level": ("debug", "debug"),
    "--max-concurrent-reconciles": ("7", 7),
    "--max-parallel-applies": ("3", 3),
    "--qps": ("25.5", 25.5),
    "--burst": ("40", 40),
    "--operator-image": ("registry.example.com/teamop:1.2.3", "registry.example.com/teamop:1.2.3"),
    "--grace-period": ("12", 12.0),
    "--reconcile-timeout": ("90", 90.0),
    "--resync-period": ("1h30m", 5400.0),
    "--take-over-field-managers": ("team-operator,manager", "team-operator,manager"),
}
IDS = [setting.flag for setting in SETTINGS]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.delenv(LEADER_ELECT_ENV, raising=False)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="teamop run", exit_on_error=False)
    operator.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_every_setting_has_a_sample() -> None:
    assert set(SAMPLES) == {setting.flag for setting in SETTINGS}


def test_help_lists_every_flag_with_its_environment_variable_and_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines

    for setting in SETTINGS:
        assert setting.flag in text
        assert f"[${setting.env}]" in text
        if setting.default:
            assert f"(default: {setting.default})" in text.replace("- ", "-")
    assert "--leader-elect, --no-leader-elect" in text
    assert f"[${LEADER_ELECT_ENV}]" in text


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_built_in_defaults(setting: Setting) -> None:
    value = getattr(parse(), setting.dest)

    assert value == (setting.type(setting.default) if setting.default is not None else None)


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_the_environment_variable_sets_the_default(setting: Setting, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, expected = SAMPLES[setting.flag]
    monkeypatch.setenv(setting.env, raw)

    assert getattr(parse(), setting.dest) == expected


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_the_flag_wins_over_the_environment(setting: Setting, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, expected = SAMPLES[setting.flag]
    monkeypatch.setenv(setting.env, raw)
    flag_value = "1" if setting.type is not str else "from-flag"

    assert getattr(parse(setting.flag, flag_value), setting.dest) == setting.type(flag_value)
    assert getattr(parse(), setting.dest) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("on", True),
    ("false", False), ("0", False), ("no", False), ("", False), ("off", False),
])
def test_leader_elect_from_the_environment(value: str, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LEADER_ELECT_ENV, value)

    assert parse().leader_elect is expected
    assert parse("--leader-elect").leader_elect is True
    assert parse("--no-leader-elect").leader_elect is False


def test_leader_elect_is_off_by_default_and_a_typo_in_its_variable_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parse().leader_elect is False
    monkeypatch.setenv(LEADER_ELECT_ENV, "ture")

    with pytest.raises(SystemExit):
        parse()
    assert "LEADER_ELECT='ture'" in capsys.readouterr().err


@pytest.mark.parametrize(("flag", "value"), [
    ("--max-concurrent-reconciles", "0"), ("--max-concurrent-reconciles", "two"), ("--qps", "-1"),
    ("--qps", "nan"), ("--burst", "-5"), ("--grace-period", "-1"), ("--reconcile-timeout", "-1"),
])
def test_bad_numbers_are_refused_from_flags_and_from_the_environment(
    flag: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(argparse.ArgumentError):
        parse(flag, value)
    setting = next(s for s in SETTINGS if s.flag == flag)
    monkeypatch.setenv(setting.env, value)
    with pytest.raises(argparse.ArgumentError):
        parse()


@pytest.mark.parametrize(("value", "expected"), [
    ("", None),
    (None, None),
    (" , ,", None),
    ("posit-team", ["posit-team"]),
    ("posit-team, staging ,,prod", ["posit-team", "staging", "prod"]),
    ("a,b,a", ["a", "b"]),
])
def test_watch_namespaces_parsing(value: str | None, expected: list[str] | None) -> None:
    assert namespaces_of(value) == expected


@pytest.mark.parametrize("value", ["Posit-Team", "posit_team", "team.a", "-team", "a" * 64])
def test_watch_namespaces_refuses_what_is_not_a_namespace_name(value: str) -> None:
    with pytest.raises(ValueError, match="not a namespace name"):
        namespaces_of(f"ok,{value}")


def test_teamop_run_stops_at_once_on_a_bad_namespace_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--watch-namespaces", "ok,Not_OK", "--log-format", "console"]) == 2
    assert "Not_OK" in capsys.readouterr().err


def test_teamop_run_stops_at_once_on_a_bad_log_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--log-format", "xml"]) == 2
    assert main(["run", "--log-level", "chatty"]) == 2


def test_the_built_in_defaults_are_what_teamop_run_parses_with_no_flags() -> None:
    parsed = vars(parse())
    defaults = vars(operator.default_arguments())
    assert set(defaults) == set(parsed)
    for setting in SETTINGS:
        converted = setting.type(defaults[setting.dest]) if defaults[setting.dest] is not None else None
        assert converted == parsed[setting.dest], setting.flag
    assert defaults["leader_elect"] is parsed["leader_elect"] is False


def test_default_arguments_refuse_a_setting_that_does_not_exist() -> None:
    with pytest.raises(TypeError, match="no such setting: graceperiod"):
        operator.default_arguments(graceperiod="10")


@pytest.mark.parametrize(("value", "expected"), [
    ("", []),
    (None, []),
    ("team-operator", ["team-operator"]),
    (" team-operator, manager ,,team-operator", ["team-operator", "manager"]),
])
def test_take_over_field_managers_parsing(value: str | None, expected: list[str]) -> None:
    assert field_managers_of(value) == expected


async def test_the_field_managers_to_take_over_reach_the_applier_and_the_status_writer() -> None:
    async with Client(ApiClient(Configuration())) as client:
        default = operator.build_manager(client, operator.default_arguments())
        chosen = operator.build_manager(client, operator.default_arguments(take_over_field_managers="a, b"))
        none = operator.build_manager(client, operator.default_arguments(take_over_field_managers=""))

    assert default.applier.take_over_managers == default.status.take_over_managers == ("team-operator",)
    assert chosen.applier.take_over_managers == chosen.status.take_over_managers == ("a", "b")
    assert none.applier.take_over_managers == none.status.take_over_managers == ()


async def test_the_reconcile_timeout_reaches_every_controller_and_zero_means_none() -> None:
    async with Client(ApiClient(Configuration())) as client:
        default = operator.build_manager(client, operator.default_arguments())
        chosen = operator.build_manager(client, operator.default_arguments(reconcile_timeout="90"))
        unlimited = operator.build_manager(client, operator.default_arguments(reconcile_timeout="0"))

    assert {c.options.reconcile_timeout for c in default.controllers} == {300.0}
    assert {c.options.reconcile_timeout for c in chosen.controllers} == {90.0}
    assert {c.options.reconcile_timeout for c in unlimited.controllers} == {None}


@pytest.mark.parametrize(("value", "seconds"), [("10h", 36000.0), ("1h30m", 5400.0), ("90s", 90.0),
                                                ("1.5h", 5400.0), ("3600", 3600.0), ("0", 0.0)])
def test_the_resync_period_is_seconds_or_a_duration(value: str, seconds: float) -> None:
    assert parse("--resync-period", value).resync_period == seconds


@pytest.mark.parametrize("value", ["10x", "h", "-1h", "1h 30m", "soon"])
def test_a_resync_period_that_is_not_a_duration_is_refused(value: str) -> None:
    with pytest.raises(argparse.ArgumentError):
        parse("--resync-period", value)
