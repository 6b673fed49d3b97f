"""Logs are JSON lines in a cluster and readable text locally (checked in a fresh interpreter, so the test does
not reconfigure logging for everything else)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import structlog
from teamop.runtime.logging import configure_logging
configure_logging({format!r}, "info")
with structlog.contextvars.bound_contextvars(controller="toy"):
    structlog.get_logger("x").info("reconciled", name="a")
structlog.get_logger("x").debug("hidden")
"""


def run(format: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(format=format)], capture_output=True, text=True, check=True,
        env={**os.environ, **env},
    )
    return result.stderr


def test_json_logs_are_one_object_a_line_with_the_bound_context() -> None:
    [line] = run("json").strip().splitlines()
    record = json.loads(line)
    assert record["event"] == "reconciled"
    assert record["controller"] == "toy"
    assert record["name"] == "a"
    assert record["level"] == "info"
    assert "timestamp" in record


def test_auto_chooses_json_inside_a_cluster() -> None:
    json.loads(run("auto", KUBERNETES_SERVICE_HOST="10.96.0.1").strip())


def test_console_logs_are_text() -> None:
    output = run("console")
    assert "reconciled" in output
    assert not output.lstrip().startswith("{")
