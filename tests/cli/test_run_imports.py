"""What `teamop run` holds in memory before its first Site (issue 19: idle memory ≤ 60 MB). The other commands'
modules, the PostgreSQL driver and the API models' validators are loaded when first needed, and the probes are
served by aiohttp's low-level server: an operator whose caches synced with no Site exists has loaded none of the
rest."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from teamop.testing.controlplane import ControlPlane
from teamop.testing.processes import free_port

# Runs `teamop run` in this process and, once /readyz answers 200 (every cache listed), prints what is loaded.
DRIVER = """
import json, os, signal, sys, threading, time, urllib.request

from teamop.cli import main


def report_when_ready(port: int) -> None:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        time.sleep(0.2)
    import teamop.api.v1beta1 as api

    models = [value for value in vars(api).values() if isinstance(value, type) and hasattr(value, "model_fields")]
    print(json.dumps({"modules": sorted(sys.modules.copy()),
                      "built models": sorted(model.__name__ for model in models if model.__pydantic_complete__)}),
          flush=True)
    os.kill(os.getpid(), signal.SIGTERM)


threading.Thread(target=report_when_ready, args=(int(sys.argv[1]),), daemon=True).start()
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def idle_operator(controlplane: ControlPlane) -> dict[str, Any]:
    """What a `teamop run` with no Site has loaded once its caches synced."""
    health_port = free_port()
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(health_port), "run", f"--kubeconfig={controlplane.kubeconfig}",
         "--metrics-bind-address=0", f"--health-probe-bind-address=127.0.0.1:{health_port}", "--log-level=warning"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def loaded_of(idle_operator: dict[str, Any], *packages: str) -> list[str]:
    return [name for name in idle_operator["modules"] if name in packages or name.startswith(
        tuple(f"{package}." for package in packages))]


def test_teamop_run_does_not_load_the_other_commands(idle_operator: dict[str, Any]) -> None:
    assert loaded_of(idle_operator, "teamop.cli_render", "teamop.cli_status", "teamop.cli_diff", "teamop.dev",
                     "teamop.flightdeck", "teamop.diff", "teamop.status_tree") == []


def test_teamop_run_does_not_load_the_postgresql_driver_before_a_database_is_provisioned(
        idle_operator: dict[str, Any]) -> None:
    assert loaded_of(idle_operator, "asyncpg") == []


def test_teamop_run_serves_probes_and_metrics_without_aiohttps_web_framework(idle_operator: dict[str, Any]) -> None:
    assert loaded_of(idle_operator, "aiohttp.web", "aiohttp.web_app", "aiohttp.web_urldispatcher") == []


def test_teamop_run_builds_no_api_model_validator_before_a_site_exists(idle_operator: dict[str, Any]) -> None:
    assert idle_operator["built models"] == []


def test_an_api_model_still_validates_on_first_use() -> None:
    found = subprocess.run(
        [sys.executable, "-c",
         "from teamop.api.v1beta1 import Site\n"
         "site = Site.from_dict({'apiVersion': 'core.posit.team/v1beta1', 'kind': 'Site', 'metadata': {'name': 'a'},"
         " 'spec': {'domain': 'example.test'}})\n"
         "print(site.spec.domain, Site.__pydantic_complete__)\n"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert found == ["example.test", "True"]
