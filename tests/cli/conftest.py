"""Fixtures for the command-line tests: the in-process operator (as in tests/controllers) and the Site helpers of
tests/controllers/sites.py."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory, RunningOperator, SetupFunction, start_operator

CONTROLLER_TESTS = Path(__file__).resolve().parents[1] / "controllers"
if str(CONTROLLER_TESTS) not in sys.path:
    sys.path.insert(0, str(CONTROLLER_TESTS))  # for `import sites`


@pytest.fixture
async def operator(controlplane: ControlPlane) -> AsyncIterator[OperatorFactory]:
    """`await operator([setup, ...], namespaces=...)` runs those controllers until the test ends."""
    running: list[RunningOperator] = []

    async def start(setups: Sequence[SetupFunction], **options: Any) -> RunningOperator:
        started = await start_operator(controlplane.kubeconfig, setups, **options)
        running.append(started)
        return started

    yield start
    for started in running:
        await started.close()
