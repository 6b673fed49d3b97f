"""Traefik's CRD installed, or removed, while a Site runs: the operator follows within seconds, without a restart
and without anything else touching the Site."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sites import InstallCRDs, condition, get, run_site, sample_site, site_name, site_ready

from teamop.runtime.metrics import REGISTRY
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory, RunningOperator
from teamop.testing.postgres import PostgresServer
from teamop.testing.thirdparty import ThirdPartyCRDs
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

ROUTED = ("site", "connect", "workbench")  # what carries the TraefikMiddlewares condition in the sample Site
MIDDLEWARES_CREATED = ("True", "MiddlewaresCreated")
CRD_NOT_INSTALLED = ("False", "CRDNotInstalled")


@pytest.fixture
def name() -> str:
    return site_name("l")


def middleware_names(plane: ControlPlane, namespace: str) -> set[str]:
    result = plane.kubectl("get", "middlewares.traefik.io", "-n", namespace, "-o", "json", check=False)
    if result.returncode != 0:  # the CRD is not (yet, or no longer) served
        return set()
    return {item["metadata"]["name"] for item in json.loads(result.stdout)["items"]}


def traefik_reasons(plane: ControlPlane, name: str, namespace: str) -> dict[str, tuple[str, str]]:
    """kind → (status, reason) of its TraefikMiddlewares condition."""
    conditions = {kind: condition(get(plane, kind, name, namespace), "TraefikMiddlewares") for kind in ROUTED}
    return {kind: (c.get("status", ""), c.get("reason", "")) for kind, c in conditions.items()}


async def until_every_routed_object_says(plane: ControlPlane, name: str, namespace: str,
                                        status_and_reason: tuple[str, str], what: str) -> None:
    await until(lambda: traefik_reasons(plane, name, namespace) == dict.fromkeys(ROUTED, status_and_reason),
                timeout=60, what=what)


def reconcile_errors(operator: RunningOperator) -> float:
    return sum(REGISTRY.get_sample_value("controller_runtime_reconcile_errors_total",
                                         {"controller": controller.name}) or 0.0
               for controller in operator.manager.controllers)


@pytest.fixture
async def ready_without_traefik(controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, name: str,
                                operator: OperatorFactory, postgres: PostgresServer) -> RunningOperator:
    """teamop running the sample Site `name`, Ready, without Traefik's CRD (its Middlewares missing, and said so)."""
    running = await run_site(controlplane, operator, postgres, sample_site(name, namespace))
    await until(lambda: site_ready(controlplane, name, namespace), timeout=150, what="the Site to be Ready")
    assert traefik_reasons(controlplane, name, namespace) == dict.fromkeys(ROUTED, CRD_NOT_INSTALLED)
    return running


def middlewares_made(site: str) -> set[str]:
    return {f"{site}-connect-forward", f"{site}-workbench-forward", f"{site}-workbench-csp",
            f"{site}-workbench-headers"}


async def test_a_running_site_gets_its_middlewares_once_traefiks_crd_is_installed(
    controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, name: str,
    ready_without_traefik: RunningOperator,
) -> None:
    await thirdparty_crds("middlewares")

    await until(lambda: middleware_names(controlplane, namespace) == middlewares_made(name), timeout=60,
                what="the products' Middlewares")
    await until_every_routed_object_says(controlplane, name, namespace, MIDDLEWARES_CREATED,
                                        "TraefikMiddlewares to turn True")
    assert site_ready(controlplane, name, namespace)


async def test_removing_traefiks_crd_brings_the_condition_back_without_reconcile_errors(
    controlplane: ControlPlane, namespace: str, name: str, ready_without_traefik: RunningOperator
) -> None:
    running = ready_without_traefik
    crds = ThirdPartyCRDs(controlplane)
    await crds.install("middlewares")
    await until_every_routed_object_says(controlplane, name, namespace, MIDDLEWARES_CREATED,
                                        "TraefikMiddlewares to turn True")
    errors = reconcile_errors(running)

    await crds.remove(["middlewares"])

    await until_every_routed_object_says(controlplane, name, namespace, CRD_NOT_INSTALLED,
                                        "TraefikMiddlewares to say the CRD is missing")
    assert site_ready(controlplane, name, namespace)
    await running.settled()  # every object reconciled once more, writing nothing
    assert reconcile_errors(running) == errors
    assert site_ready(controlplane, name, namespace)


async def test_once_converged_with_traefik_reconciling_everything_again_sends_no_request(
    controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, name: str,
    ready_without_traefik: RunningOperator,
) -> None:
    running = ready_without_traefik
    await thirdparty_crds("middlewares")
    await until_every_routed_object_says(controlplane, name, namespace, MIDDLEWARES_CREATED,
                                        "TraefikMiddlewares to turn True")
    await running.settled()
    before = Counter(running.client.requests.snapshot().by_request)
    since = running.reconciles.mark()

    for controller in running.manager.controllers:
        controller.enqueue_all()
    await running.reconciled_everything(since)

    sent = Counter(running.client.requests.snapshot().by_request) - before
    assert {request: count for request, count in sent.items() if request.verb != "watch"} == {}
