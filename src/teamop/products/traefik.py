"""Traefik's Middlewares in front of the products, as the reference makes them (`traefik.io/v1alpha1`): a
forward Middleware per product telling the product it is served over HTTPS on 443, Workbench's CSP and headers
Middlewares, and the Ingress annotation that routes through them (`<namespace>-<name>@kubernetescrd`, comma
separated)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from teamop.products.naming import child_name, component_labels
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


def with_middlewares(annotations: Mapping[str, str], user_annotations: Mapping[str, str] | None) -> dict[str, str]:
    """`annotations` (teamop's, with the middlewares annotation) overlaid with the user's `ingressAnnotations`; a
    user's own middlewares annotation comes first, then teamop's, as the reference joins them."""
    user_annotations = user_annotations or {}
    merged = {**annotations, **user_annotations}
    ours, theirs = annotations.get(MIDDLEWARES_ANNOTATION), user_annotations.get(MIDDLEWARES_ANNOTATION)
    if ours and theirs:
        merged[MIDDLEWARES_ANNOTATION] = f"{theirs},{ours}"
    return merged


def ingress_annotations(namespace: str, middlewares: Sequence[Mapping[str, Any]],
                        user_annotations: Mapping[str, str] | None) -> dict[str, str]:
    """A product Ingress's annotations: routed through `middlewares` (in order), then the user's."""
    names = [m["metadata"]["name"] for m in middlewares]
    return with_middlewares(middlewares_annotation(namespace, names), user_annotations)


def product_forward_middleware(site: str, namespace: str, component: str) -> dict[str, Any]:
    """`<site>-<component>-forward`, labelled as the product's other objects."""
    name = child_name(site, component)
    return forward_middleware(forward_middleware_name(name), namespace, component_labels(site, component))


def workbench_middlewares(site: str, namespace: str, component: str, *, url: str | None,
                          parent_url: str | None) -> list[dict[str, Any]]:
    """Workbench's three, in the order its Ingress names them: forward; `-csp`, letting `parent_url` frame it;
    `-headers`, whose `X-Rstudio-Request` keeps Workbench from putting port 443 into its OIDC redirect URI."""
    name, labels = child_name(site, component), component_labels(site, component)
    return [
        product_forward_middleware(site, namespace, component),
        middleware(f"{name}-csp", namespace, labels,
                   {"contentSecurityPolicy": f"frame-ancestors {parent_url or ''} 'self';"}),
        middleware(f"{name}-headers", namespace, labels,
                   {"customRequestHeaders": {"X-Rstudio-Request": f"https://{url or ''}"}}),
    ]
