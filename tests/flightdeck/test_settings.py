"""The container contract: SITE_NAME, SHOW_CONFIG, SHOW_ACADEMY, LOG_LEVEL, LOG_FORMAT from the environment; the
namespace from a flag, POD_NAMESPACE or the pod's ServiceAccount."""

from __future__ import annotations

from pathlib import Path

import pytest

from teamop.flightdeck.settings import Settings, SettingsError, load_settings

REFERENCE_ENV = {"SITE_NAME": "test", "SHOW_CONFIG": "false", "SHOW_ACADEMY": "false", "LOG_LEVEL": "info",
                 "LOG_FORMAT": "text"}


@pytest.fixture
def namespace_file(tmp_path: Path) -> Path:
    path = tmp_path / "namespace"
    path.write_text("posit-team\n")
    return path


def test_the_reference_deployments_environment(namespace_file: Path) -> None:
    assert load_settings([], REFERENCE_ENV, namespace_file=namespace_file) == Settings(
        site_name="test", namespace="posit-team", kubeconfig=None, host="0.0.0.0", port=8080,
        show_config=False, show_academy=False, log_level="info", log_format="text",
    )


def test_toggles_and_logging(namespace_file: Path) -> None:
    env = {**REFERENCE_ENV, "SHOW_CONFIG": "true", "SHOW_ACADEMY": "True", "LOG_LEVEL": "warn", "LOG_FORMAT": "json"}
    settings = load_settings([], env, namespace_file=namespace_file)
    assert (settings.show_config, settings.show_academy) == (True, True)
    assert (settings.log_level, settings.log_format) == ("warning", "json")


def test_flags_win_over_the_environment(namespace_file: Path) -> None:
    env = {**REFERENCE_ENV, "POD_NAMESPACE": "from-env"}
    argv = ["--site", "other", "--namespace", "from-flag", "--kubeconfig", "/k", "--port", "9000", "--host", "::1"]
    settings = load_settings(argv, env, namespace_file=namespace_file)
    assert (settings.site_name, settings.namespace, settings.kubeconfig) == ("other", "from-flag", "/k")
    assert (settings.host, settings.port) == ("::1", 9000)


def test_namespace_from_pod_namespace_before_the_service_account(namespace_file: Path) -> None:
    settings = load_settings([], {**REFERENCE_ENV, "POD_NAMESPACE": "elsewhere"}, namespace_file=namespace_file)
    assert settings.namespace == "elsewhere"


def test_without_any_namespace_it_says_how_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="pass --namespace or set POD_NAMESPACE"):
        load_settings([], REFERENCE_ENV, namespace_file=tmp_path / "absent")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SITE_NAME": ""}, "SITE_NAME is not set"),
        ({"SHOW_CONFIG": "maybe"}, "SHOW_CONFIG must be true or false"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
    ],
)
def test_malformed_settings_are_named(namespace_file: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings([], {**REFERENCE_ENV, **env}, namespace_file=namespace_file)
