"""Fixtures for controller tests: the operator's controllers running in-process against the real control plane."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory, RunningOperator, SetupFunction, start_operator


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
