"""Traefik's CRD installed, or removed, while a Site runs: the operator follows within seconds, without a restart
and without anything else touching the Site."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from sites import apply, condition, get, go_operator_secrets, sample_site

from teamop.controllers.registry import setup_operator
from teamop.runtime.metrics import REGISTRY
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory, RunningOperator
from teamop.testing.postgres import PostgresServer
from teamop.testing.thirdparty import ThirdPartyCRDs
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

InstallCRDs = Callable[..., Awaitable[None]]
ROUTED = ("site", "connect", "workbench")  # what carries the TraefikMiddlewares condition in the sample Site


@pytest.fixture
def name() -> str:
    return f"l{uuid.uuid4().hex[:6]}"


def middleware_names(plane: ControlPlane, namespace: str) -> set[str]:
    result = plane.kubectl("get", "middlewares.traefik.io", "-n", namespace, "-o", "json", check=False)
    if result.returncode != 0:  # the CRD is not (yet, or no longer) served
        return set()
    return {item["metadata"]["name"] for item in json.loads(result.stdout)["items"]}


def site_ready(plane: ControlPlane, name: str, namespace: str) -> bool:
    site = get(plane, "site", name, namespace)
    return bool(site and (site.get("status") or {}).get("ready") is True)


def traefik_reasons(plane: ControlPlane, name: str, namespace: str) -> dict[str, tuple[str, str]]:
    """kind → (status, reason) of its TraefikMiddlewares condition."""
    conditions = {kind: condition(get(plane, kind, name, namespace), "TraefikMiddlewares") for kind in ROUTED}
    return {kind: (c.get("status", ""), c.get("reason", "")) for kind, c in conditions.items()}


def reconcile_errors(operator: RunningOperator) -> float:
    return sum(REGISTRY.get_sample_value("controller_runtime_reconcile_errors_total",
                                         {"controller": controller.name}) or 0.0
               for controller in operator.manager.controllers)


async def ready_without_traefik(plane: ControlPlane, namespace: str, name: str, operator: OperatorFactory,
                                postgres: PostgresServer) -> RunningOperator:
    apply(plane, *go_operator_secrets(name, namespace, postgres))
    apply(plane, sample_site(name, namespace))
    running = await operator([setup_operator], namespaces=namespace)
    await until(lambda: site_ready(plane, name, namespace), timeout=150, what="the Site to be Ready")
    assert traefik_reasons(plane, name, namespace) == dict.fromkeys(ROUTED, ("False", "CRDNotInstalled"))
    return running


def middlewares_made(site: str) -> set[str]:
    return {f"{site}-connect-forward", f"{site}-workbench-forward", f"{site}-workbench-csp",
            f"{site}-workbench-headers"}


async def test_a_running_site_gets_its_middlewares_once_traefiks_crd_is_installed(
    controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, name: str, operator: OperatorFactory,
    postgres: PostgresServer,
) -> None:
    await ready_without_traefik(controlplane, namespace, name, operator, postgres)

    await thirdparty_crds("middlewares")

    await until(lambda: middleware_names(controlplane, namespace) == middlewares_made(name), timeout=60,
                what="the products' Middlewares")
    await until(lambda: traefik_reasons(controlplane, name, namespace)
                == dict.fromkeys(ROUTED, ("True", "MiddlewaresCreated")), timeout=60,
                what="TraefikMiddlewares to turn True")
    assert site_ready(controlplane, name, namespace)


async def test_removing_traefiks_crd_brings_the_condition_back_without_reconcile_errors(
    controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, name: str, operator: OperatorFactory,
    postgres: PostgresServer,
) -> None:
    running = await ready_without_traefik(controlplane, namespace, name, operator, postgres)
    crds = ThirdPartyCRDs(controlplane)
    await crds.install("middlewares")
    await until(lambda: traefik_reasons(controlplane, name, namespace)
                == dict.fromkeys(ROUTED, ("True", "MiddlewaresCreated")), timeout=60,
                what="TraefikMiddlewares to turn True")
    errors = reconcile_errors(running)

    await crds.remove(["middlewares"])

    await until(lambda: traefik_reasons(controlplane, name, namespace)
                == dict.fromkeys(ROUTED, ("False", "CRDNotInstalled")), timeout=60,
                what="TraefikMiddlewares to say the CRD is missing")
    assert site_ready(controlplane, name, namespace)
    await running.settled()  # every object reconciled once more, writing nothing
    assert reconcile_errors(running) == errors
    assert site_ready(controlplane, name, namespace)


async def test_once_converged_with_traefik_reconciling_everything_again_sends_no_request(
    controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, name: str, operator: OperatorFactory,
    postgres: PostgresServer,
) -> None:
    running = await ready_without_traefik(controlplane, namespace, name, operator, postgres)
    await thirdparty_crds("middlewares")
    await until(lambda: traefik_reasons(controlplane, name, namespace)
                == dict.fromkeys(ROUTED, ("True", "MiddlewaresCreated")), timeout=60,
                what="TraefikMiddlewares to turn True")
    await running.settled()
    before = Counter(running.client.requests.snapshot().by_request)
    since = running.reconciles.mark()

    for controller in running.manager.controllers:
        controller.enqueue_all()
    await running.reconciled_everything(since)

    sent = Counter(running.client.requests.snapshot().by_request) - before
    assert {request: count for request, count in sent.items() if request.verb != "watch"} == {}
