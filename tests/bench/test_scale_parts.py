"""The parts of the many-Sites benchmark (`bench/scale.py`) that read what they measure: scenarios, the operator's
metrics text, and the watch lines of workloads."""

from __future__ import annotations

import io
import subprocess
from typing import Any

import pytest
from bench.operator_metrics import Metrics
from bench.scale import Scenario
from bench.workload_watch import WorkloadWatch

METRICS = """# HELP rest_client_requests_total Number of HTTP requests.
rest_client_requests_total{code="200",method="GET"} 4.0
rest_client_requests_total{code="201",method="PATCH"} 70.0
rest_client_requests_total{code="200",method="PATCH"} 6.0
workqueue_depth{name="site"} 0.0
workqueue_depth{name="connect"} 2.0
controller_runtime_active_workers{controller="site"} 0.0
"""


def test_a_scenario_names_its_shape_sites_layout_and_workers() -> None:
    assert Scenario.parse("user:25:one") == Scenario("user", 25, "one", None)
    assert Scenario.parse("sample:100:each:4").operator_args(["--x"]) == ["--x", "--max-concurrent-reconciles=4"]


def test_a_scenario_with_an_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="layout"):
        Scenario.parse("user:25:everywhere")


def test_requests_and_writes_are_summed_over_codes() -> None:
    assert Metrics.parse(METRICS).requests() == (80.0, 76.0)


def test_the_operator_is_not_idle_while_a_key_is_queued() -> None:
    metrics = Metrics.parse(METRICS)
    assert not metrics.idle()
    assert Metrics.parse(METRICS.replace('{name="connect"} 2.0', '{name="connect"} 0.0')).idle()


def test_a_workload_counts_as_created_when_seen_and_available_when_its_replicas_are() -> None:
    watch = WorkloadWatch(kubectl=None, kubeconfig=None)  # type: ignore[arg-type]
    lines = "ns/a-connect|1||1|\nns/a-connect|1|1|1|1\nns/b-connect|2|1|2|2\n"
    process: Any = subprocess.Popen.__new__(subprocess.Popen)
    process.stdout = io.StringIO(lines)
    watch._read("deployments", process)
    assert watch.counts() == (2, 1)
    assert set(watch.available) == {"deployments/ns/a-connect"}
