"""Rendering charts/teamop with helm, and reading a manager container as `teamop run` reads it (not a test module)."""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from teamop.cli import build_parser
from teamop.operator import LEADER_ELECT_ENV, SETTINGS
from teamop.testing.helm import CHART, Helm

RELEASE = "teamop"
NAMESPACE = "posit-team-system"
TESTS = Path(__file__).resolve().parent
# A values file a user of the Go team-operator's chart has today (its keys, the examples of its README)
GO_CHART_USER_VALUES = TESTS / "go-chart-values.yaml"
# The Go team-operator chart's own values.yaml (dist/chart/values.yaml), unchanged
GO_CHART_DEFAULT_VALUES = TESTS.parent / "reference" / "chart" / "values.yaml"
TEAMOP_IMAGE_REPOSITORY = "ghcr.io/posit-dev/teamop"


def values_file(directory: Path, values: Mapping[str, Any], name: str = "values.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(dict(values)))
    return path


def template(helm: Helm, *options: str) -> list[dict[str, Any]]:
    """The objects `helm template teamop charts/teamop -n posit-team-system <options>` renders."""
    result = helm("template", RELEASE, str(CHART), "-n", NAMESPACE, *options)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def template_error(helm: Helm, *options: str) -> str:
    """helm's error when `helm template` must fail."""
    result = helm("template", RELEASE, str(CHART), "-n", NAMESPACE, *options, check=False)
    assert result.returncode != 0, f"helm template {' '.join(options)} rendered:\n{result.stdout[:2000]}"
    return result.stderr


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]


def kinds(objects: list[dict[str, Any]]) -> set[str]:
    return {o["kind"] for o in objects}


def manager_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = find(objects, "Deployment", "teamop")["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "manager"
    return dict(container)


def container_environment(container: Mapping[str, Any], pod_namespace: str = NAMESPACE) -> dict[str, str]:
    """The container's environment as the kubelet gives it: literal values, and the downward API's namespace."""
    environment = {}
    for env in container.get("env", []):
        if "value" in env:
            environment[env["name"]] = env["value"]
        elif env.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
            environment[env["name"]] = pod_namespace
        else:
            raise AssertionError(f"the test does not know how to resolve {json.dumps(env)}")
    return environment


def teamop_arguments(container: Mapping[str, Any], pod_namespace: str = NAMESPACE,
                     patch: pytest.MonkeyPatch | None = None) -> argparse.Namespace:
    """The container's command line parsed by teamop's own parser (the image's entrypoint is `teamop`) in the
    container's environment and no other teamop setting, as the process in the pod parses it. With `patch`, the
    environment stays set until the test ends (for code that reads it later, such as POD_NAMESPACE)."""
    assert "command" not in container, "the image's entrypoint (teamop) runs the arguments"
    with contextlib.nullcontext(patch) if patch else pytest.MonkeyPatch.context() as environment:
        for setting in SETTINGS:
            environment.delenv(setting.env, raising=False)
        environment.delenv(LEADER_ELECT_ENV, raising=False)
        for name, value in container_environment(container, pod_namespace).items():
            environment.setenv(name, value)
        args = build_parser().parse_args(container["args"])
    assert args.command.__name__ == "run", container["args"]
    return args
