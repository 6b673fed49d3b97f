"""Traefik's Middlewares in front of the products, as the reference makes them (`traefik.io/v1alpha1`): a
forward Middleware per product telling the product it is served over HTTPS on 443, Workbench's CSP and headers
Middlewares, and the Ingress annotation that routes through them (`<namespace>-<name>@kubernetescrd`, comma
separated)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from teamop.runtime.kinds import GVK

MIDDLEWARE = GVK("traefik.io", "v1alpha1", "Middleware")
MIDDLEWARE_CRD = "middlewares.traefik.io"
MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares"


def forward_middleware_name(component_name: str) -> str:
    """`<site>-connect` → `<site>-connect-forward`."""
    return f"{component_name}-forward"


def middleware(name: str, namespace: str, labels: Mapping[str, str], headers: Mapping[str, Any]) -> dict[str, Any]:
    """A Middleware setting these `headers` (Traefik's Headers options, e.g. `customRequestHeaders`)."""
    return {
        "apiVersion": MIDDLEWARE.api_version,
        "kind": MIDDLEWARE.kind,
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {"headers": dict(headers)},
    }


def forward_middleware(name: str, namespace: str, labels: Mapping[str, str], *,
                       host: str | None = None) -> dict[str, Any]:
    """The forward Middleware: requests reach the product as sent to port 443 over HTTPS; with `host` (Keycloak's)
    also as sent to that host."""
    headers = {"X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}
    if host is not None:
        headers |= {"X-Forwarded-Host": host, "X-Forwarded-For": f"https://{host}"}
    return middleware(name, namespace, labels, {"customRequestHeaders": headers})


def middleware_reference(namespace: str, name: str) -> str:
    """How an Ingress names a Middleware of the Kubernetes CRD provider."""
    return f"{namespace}-{name}@kubernetescrd"


def middlewares_annotation(namespace: str, names: Sequence[str]) -> dict[str, str]:
    """The Ingress annotation routing through these Middlewares, in this order."""
    return {MIDDLEWARES_ANNOTATION: ",".join(middleware_reference(namespace, name) for name in names)}


def with_middlewares(annotations: Mapping[str, str], user_annotations: Mapping[str, str]) -> dict[str, str]:
    """`annotations` (teamop's, with the middlewares annotation) overlaid with the user's `ingressAnnotations`; a
    user's own middlewares annotation comes first, then teamop's, as the reference joins them."""
    merged = {**annotations, **user_annotations}
    ours, theirs = annotations.get(MIDDLEWARES_ANNOTATION), user_annotations.get(MIDDLEWARES_ANNOTATION)
    if ours and theirs:
        merged[MIDDLEWARES_ANNOTATION] = f"{theirs},{ours}"
    return merged
