"""Traefik's Middlewares in front of Connect and Workbench, with every controller running against the real API
server: what a user sees with kubectl when Traefik's CRD is installed, and when it is not.

The expected Middlewares are the Go operator's (internal/traefik.go, and Workbench's in
internal/controller/core/workbench.go), written here from reading it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sites import InstallCRDs, condition, get, run_site, sample_site, site_name, site_ready

from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares"
ReadySampleSite = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def name() -> str:
    return site_name("t")


def labels(site: str, component: str, app: str) -> dict[str, str]:
    return {"app.kubernetes.io/instance": f"{site}-{component}", "app.kubernetes.io/managed-by": "team-operator",
            "app.kubernetes.io/name": app, "posit.team/component": component, "posit.team/site": site}


def expected_middlewares(site: str, namespace: str, domain: str) -> dict[str, dict[str, Any]]:
    """name → (labels, spec, owner kind) of each Middleware the reference makes for the sample Site."""
    forward = {"headers": {"customRequestHeaders": {"X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}}}
    return {
        f"{site}-connect-forward": {"labels": labels(site, "connect", "connect"), "spec": forward,
                                    "owner": "Connect"},
        f"{site}-workbench-forward": {"labels": labels(site, "workbench", "workbench"), "spec": forward,
                                      "owner": "Workbench"},
        f"{site}-workbench-csp": {
            "labels": labels(site, "workbench", "workbench"), "owner": "Workbench",
            "spec": {"headers": {"contentSecurityPolicy": f"frame-ancestors {domain} 'self';"}}},
        f"{site}-workbench-headers": {
            "labels": labels(site, "workbench", "workbench"), "owner": "Workbench",
            "spec": {"headers": {"customRequestHeaders": {"X-Rstudio-Request": f"https://workbench.{domain}"}}}},
    }


def middlewares(plane: ControlPlane, namespace: str) -> dict[str, dict[str, Any]]:
    items = json.loads(plane.kubectl("get", "middlewares.traefik.io", "-n", namespace, "-o", "json").stdout)["items"]
    return {item["metadata"]["name"]: item for item in items}


@pytest.fixture
def ready_sample_site(controlplane: ControlPlane, thirdparty_crds: InstallCRDs, namespace: str, name: str,
                      operator: OperatorFactory, postgres: PostgresServer) -> ReadySampleSite:
    """`site = await ready_sample_site("middlewares")`: those third-party CRDs served (if any are named), then the
    sample Site `name` run by teamop until it is Ready."""
    async def start(*crds: str) -> dict[str, Any]:
        if crds:
            await thirdparty_crds(*crds)
        site = sample_site(name, namespace)
        await run_site(controlplane, operator, postgres, site)
        await until(lambda: site_ready(controlplane, name, namespace), timeout=150, what="the Site to be Ready")
        return site

    return start


async def test_connect_and_workbench_get_the_references_middlewares_owned_by_the_product(
    controlplane: ControlPlane, namespace: str, name: str, ready_sample_site: ReadySampleSite
) -> None:
    site = await ready_sample_site("middlewares")

    live = middlewares(controlplane, namespace)
    expected = expected_middlewares(name, namespace, site["spec"]["domain"])
    assert sorted(live) == sorted(expected)
    for middleware_name, want in expected.items():
        got = live[middleware_name]
        assert got["spec"] == want["spec"], middleware_name
        assert got["metadata"]["labels"] == want["labels"], middleware_name
        owner = got["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["name"], owner["controller"]) == (want["owner"], name, True)


async def test_every_product_ingress_names_its_middlewares_in_the_references_order(
    controlplane: ControlPlane, namespace: str, name: str, ready_sample_site: ReadySampleSite
) -> None:
    await ready_sample_site("middlewares")

    def annotation(component: str) -> str | None:
        ingress = get(controlplane, "ingress", f"{name}-{component}", namespace) or {}
        return (ingress.get("metadata", {}).get("annotations") or {}).get(MIDDLEWARES_ANNOTATION)

    assert annotation("connect") == f"{namespace}-{name}-connect-forward@kubernetescrd"
    assert annotation("workbench") == ",".join(f"{namespace}-{name}-workbench-{m}@kubernetescrd"
                                               for m in ("forward", "csp", "headers"))
    assert annotation("packagemanager") is None  # the reference gives Package Manager none


async def test_a_deleted_middleware_is_made_again(
    controlplane: ControlPlane, namespace: str, name: str, ready_sample_site: ReadySampleSite
) -> None:
    await ready_sample_site("middlewares")
    deleted = middlewares(controlplane, namespace)[f"{name}-workbench-csp"]["metadata"]["uid"]

    controlplane.kubectl("delete", "middlewares.traefik.io", f"{name}-workbench-csp", "-n", namespace)

    def recreated() -> bool:
        again = middlewares(controlplane, namespace).get(f"{name}-workbench-csp")
        return again is not None and again["metadata"]["uid"] != deleted
    await until(recreated, timeout=60, what="the Workbench's CSP Middleware to be made again")


async def test_without_traefiks_crd_the_site_is_ready_and_says_which_crd_is_missing(
    controlplane: ControlPlane, namespace: str, name: str, ready_sample_site: ReadySampleSite
) -> None:
    await ready_sample_site()

    for kind in ("site", "connect", "workbench"):
        traefik = condition(get(controlplane, kind, name, namespace), "TraefikMiddlewares")
        assert (traefik["status"], traefik["reason"]) == ("False", "CRDNotInstalled"), kind
        assert "middlewares.traefik.io" in traefik["message"], kind
    assert condition(get(controlplane, "packagemanager", name, namespace), "TraefikMiddlewares") == {}
    # the Ingress names them all the same, as the reference's does
    ingress = get(controlplane, "ingress", f"{name}-connect", namespace) or {}
    assert ingress["metadata"]["annotations"][MIDDLEWARES_ANNOTATION] == (
        f"{namespace}-{name}-connect-forward@kubernetescrd")


async def test_a_middleware_changed_by_hand_is_put_back(
    controlplane: ControlPlane, namespace: str, name: str, ready_sample_site: ReadySampleSite
) -> None:
    site = await ready_sample_site("middlewares")

    controlplane.kubectl("patch", "middlewares.traefik.io", f"{name}-workbench-csp", "-n", namespace, "--type=merge",
                         "-p", '{"spec": {"headers": {"contentSecurityPolicy": "frame-ancestors *;"}}}')

    want = f"frame-ancestors {site['spec']['domain']} 'self';"
    await until(lambda: middlewares(controlplane, namespace)[f"{name}-workbench-csp"]["spec"]["headers"]
                .get("contentSecurityPolicy") == want, timeout=60, what="the CSP Middleware put back")
