"""Traefik's Middlewares and the Ingress annotation naming them, as the reference writes them
(internal/traefik.go)."""

from __future__ import annotations

import dataclasses

from cases import CONNECT_KEYS, context, reference_spec

from teamop.api.v1beta1 import ConnectSpec
from teamop.products import connect
from teamop.products.traefik import forward_middleware, middlewares_annotation, with_middlewares

LABELS = {"app.kubernetes.io/name": "connect"}


def test_the_forward_middleware_sets_the_https_port_and_protocol() -> None:
    assert forward_middleware("s-connect-forward", "posit-team", LABELS) == {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "Middleware",
        "metadata": {"name": "s-connect-forward", "namespace": "posit-team", "labels": LABELS},
        "spec": {"headers": {"customRequestHeaders": {"X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}}},
    }


def test_the_forward_middleware_with_a_host_also_sets_the_forwarded_host_and_for() -> None:
    body = forward_middleware("s-keycloak-forward", "posit-team", LABELS, host="key.example.com")
    assert body["spec"]["headers"]["customRequestHeaders"] == {
        "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "key.example.com",
        "X-Forwarded-For": "https://key.example.com",
    }


def test_the_annotation_names_each_middleware_of_the_namespace_in_order() -> None:
    assert middlewares_annotation("posit-team", ["test-workbench-forward", "test-workbench-csp"]) == {
        "traefik.ingress.kubernetes.io/router.middlewares":
            "posit-team-test-workbench-forward@kubernetescrd,posit-team-test-workbench-csp@kubernetescrd",
    }


def test_a_users_middlewares_come_before_the_operators() -> None:
    ours = middlewares_annotation("ns", ["s-connect-forward"])
    user = {"traefik.ingress.kubernetes.io/router.middlewares": "ns-auth@kubernetescrd", "x": "y"}
    assert with_middlewares(ours, user) == {
        "traefik.ingress.kubernetes.io/router.middlewares": "ns-auth@kubernetescrd,ns-s-connect-forward@kubernetescrd",
        "x": "y",
    }


def test_the_references_connect_gets_its_forward_middleware_only_when_traefiks_crd_is_served() -> None:
    spec = ConnectSpec.model_validate(reference_spec("Connect"))
    served = connect.render(spec, dataclasses.replace(context("connect", *CONNECT_KEYS), traefik_middlewares=True))
    assert served.of_kind("Middleware") == [{
        "apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
        "metadata": {"name": "test-connect-forward", "namespace": "posit-team", "labels": {
            "app.kubernetes.io/instance": "test-connect", "app.kubernetes.io/managed-by": "team-operator",
            "app.kubernetes.io/name": "connect", "posit.team/component": "connect", "posit.team/site": "test"}},
        "spec": {"headers": {"customRequestHeaders": {"X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}}},
    }]
    assert connect.render(spec, context("connect", *CONNECT_KEYS)).of_kind("Middleware") == []
