"""Fixtures on real servers: a Kubernetes control plane per test session, a fresh namespace per test, a
PostgreSQL server per test session, and the operator's controllers running in-process against them. Nothing here
is a mock."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory, RunningOperator, SetupFunction, start_operator
from teamop.testing.postgres import PostgresServer
from teamop.testing.thirdparty import ThirdPartyCRDs

REPO_ROOT = Path(__file__).resolve().parents[1]
CRD_DIR = REPO_ROOT / "config" / "crd" / "bases"


@pytest.fixture(scope="session")
def controlplane() -> Iterator[ControlPlane]:
    """etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok with one fake node; teamop's CRDs
    are installed before the controller manager starts."""
    plane = ControlPlane(crd_paths=[CRD_DIR])
    plane.start()
    try:
        yield plane
    finally:
        plane.stop(remove_workdir=True)


@pytest.fixture
def namespace(controlplane: ControlPlane, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace named after the test; deleted (without waiting) afterwards."""
    stem = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{stem}-{uuid.uuid4().hex[:6]}"
    controlplane.kubectl("create", "namespace", name)
    yield name
    controlplane.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server on a free loopback port; `postgres.dsn` is the superuser's URL."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture
async def thirdparty_crds(controlplane: ControlPlane) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    """`await thirdparty_crds("middlewares", ...)` installs those third-party CRDs (plurals: secretproviderclasses,
    middlewares, keycloaks) and returns once they are served; they are deleted, and no longer served, after the
    test, so other tests see a cluster without them. Name it before `operator` in a test's arguments: the
    operator then stops before the CRDs go."""
    crds = ThirdPartyCRDs(controlplane)
    yield crds.install
    await crds.remove_all()
