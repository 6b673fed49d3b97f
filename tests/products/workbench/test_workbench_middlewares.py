"""Workbench's Traefik Middlewares for the reference's Workbench (`parentUrl: test.localhost`, `url:
workbench.test.localhost`), as its workbench.go makes them: rendered only when Traefik's CRD is served."""

from __future__ import annotations

import dataclasses

from workbench_cases import context_for, reference_workbench_spec

from teamop.products.workbench import render

LABELS = {"app.kubernetes.io/instance": "test-workbench", "app.kubernetes.io/managed-by": "team-operator",
          "app.kubernetes.io/name": "workbench", "posit.team/component": "workbench", "posit.team/site": "test"}


def middleware(name: str, headers: dict[str, object]) -> dict[str, object]:
    return {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
            "metadata": {"name": name, "namespace": "posit-team", "labels": LABELS}, "spec": {"headers": headers}}


def test_the_references_workbench_gets_its_forward_csp_and_headers_middlewares() -> None:
    spec = reference_workbench_spec()
    rendered = render(spec, dataclasses.replace(context_for(spec), traefik_middlewares=True))
    assert rendered.of_kind("Middleware") == [
        middleware("test-workbench-forward",
                   {"customRequestHeaders": {"X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}}),
        middleware("test-workbench-csp", {"contentSecurityPolicy": "frame-ancestors test.localhost 'self';"}),
        middleware("test-workbench-headers",
                   {"customRequestHeaders": {"X-Rstudio-Request": "https://workbench.test.localhost"}}),
    ]


def test_without_traefiks_crd_no_middleware_is_rendered_but_the_ingress_still_names_them() -> None:
    spec = reference_workbench_spec()
    rendered = render(spec, context_for(spec))
    assert rendered.of_kind("Middleware") == []
    annotations = rendered.get("Ingress", "test-workbench")["metadata"]["annotations"]
    assert annotations["traefik.ingress.kubernetes.io/router.middlewares"] == (
        "posit-team-test-workbench-forward@kubernetescrd,posit-team-test-workbench-csp@kubernetescrd,"
        "posit-team-test-workbench-headers@kubernetescrd")
