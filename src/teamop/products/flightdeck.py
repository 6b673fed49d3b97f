"""Flightdeck, the Site's landing page: a Deployment of the page server, the ServiceAccount and Role that let it
read (only) Sites, its Service, and an Ingress on the Site's bare domain. No ConfigMap: the server reads its Site
from the API (COMPAT.md "Flightdeck")."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1.flightdeck import FlightdeckSpec
from teamop.products.context import RenderContext
from teamop.products.naming import child_name, selector_labels
from teamop.products.objects import (
    ServicePort,
    ingress,
    policy_rule,
    role,
    role_binding,
    service,
    service_account,
)
from teamop.products.rendered import Rendered
from teamop.products.workload import ContainerPort, HttpProbe, Workload, deployment, env_value

COMPONENT = "flightdeck"
CONTAINER = "flightdeck"
REFERENCE_IMAGE = "docker.io/posit/ptd-flightdeck"
SERVE_COMMAND = ("teamop", "flightdeck", "serve")
CONTAINER_PORT = 8080
SERVICE_PORT = 80
RUN_AS_USER = 999
TMP_VOLUME = "tmp"

READINESS = HttpProbe("/", initial_delay_seconds=3, period_seconds=3, timeout_seconds=1, failure_threshold=2)
LIVENESS = HttpProbe("/", initial_delay_seconds=10, period_seconds=10, timeout_seconds=3, failure_threshold=3)
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}}
SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": RUN_AS_USER,
    "seccompProfile": {"type": "RuntimeDefault"},
}
SITE_READER_RULES = [policy_rule("core.posit.team", ["sites"], ["get", "list", "watch"])]


def role_name(site: str) -> str:
    return child_name(site, COMPONENT, "role")


def role_binding_name(site: str) -> str:
    return child_name(site, COMPONENT, "rolebinding")


def resolve_image(image: str | None) -> str | None:
    """The image as the reference resolves `spec.flightdeck.image`: a value without `/` is a tag (or a digest)
    of docker.io/posit/ptd-flightdeck, anything else a full image reference. None when unset."""
    if not image or not image.strip():
        return None
    image = image.strip()
    if "/" in image:
        return image
    separator = "@" if image.startswith("sha256:") else ":"
    return f"{REFERENCE_IMAGE}{separator}{image}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def server_env(spec: FlightdeckSpec, site: str) -> list[dict[str, Any]]:
    """The reference's container contract, honoured by both its image and `teamop flightdeck serve`."""
    features = spec.feature_enabler
    return [
        env_value("SITE_NAME", spec.site_name or site),
        env_value("SHOW_CONFIG", _flag(features is not None and features.show_config)),
        env_value("SHOW_ACADEMY", _flag(features is not None and features.show_academy)),
        env_value("LOG_LEVEL", spec.log_level),
        env_value("LOG_FORMAT", spec.log_format),
    ]


def server_deployment(spec: FlightdeckSpec, context: RenderContext) -> dict[str, Any]:
    site, namespace = context.site, context.namespace
    image = resolve_image(spec.image)
    command: list[str] | None = None
    if image is None:
        image = context.operator_image
        command = [*SERVE_COMMAND]
        if spec.port != CONTAINER_PORT:
            command += ["--port", str(spec.port)]
    workload = Workload(
        site=site,
        namespace=namespace,
        component=COMPONENT,
        container_name=CONTAINER,
        image=image,
        service_account=child_name(site, COMPONENT),
        config_hash="",
        ports=[ContainerPort("http", spec.port)],
        image_pull_policy=spec.image_pull_policy,
        image_pull_secrets=spec.image_pull_secrets or (),
        command=command,
        env=server_env(spec, site),
        # the root filesystem is read-only; a small scratch /tmp keeps either image happy
        volumes=[{"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "64Mi"}}],
        volume_mounts=[{"name": TMP_VOLUME, "mountPath": "/tmp"}],
        readiness_probe=READINESS,
        resources=RESOURCES,
        security_context=SECURITY_CONTEXT,
        spread_over_nodes=False,
    )
    body = deployment(workload, spec.replicas)
    template = body["spec"]["template"]
    # Nothing to hash: Flightdeck has no config files, so no configmap-sha annotation on its pods.
    template["metadata"].pop("annotations", None)
    template["spec"]["containers"][0]["livenessProbe"] = LIVENESS.body()
    return body


def render(spec: FlightdeckSpec, context: RenderContext) -> Rendered:
    """Flightdeck's objects. `context.operator_image` runs the page server when `spec.image` is unset."""
    site, namespace = context.site, context.namespace
    account = service_account(site, namespace, COMPONENT)
    if spec.image_pull_secrets:
        account["imagePullSecrets"] = [{"name": name} for name in spec.image_pull_secrets]
    server_service = service(site, namespace, COMPONENT, [ServicePort("http", SERVICE_PORT)])
    # The reference selects Flightdeck's pods by the selector labels alone (not site and component).
    server_service["spec"]["selector"] = selector_labels(site, COMPONENT)
    rendered = Rendered()
    rendered.add(
        account,
        role(site, namespace, COMPONENT, role_name(site), SITE_READER_RULES),
        role_binding(site, namespace, COMPONENT, role_binding_name(site), role_name(site), account["metadata"]["name"]),
        server_service,
        server_deployment(spec, context),
    )
    if spec.domain:
        rendered.add(
            ingress(
                site, namespace, COMPONENT, spec.domain, ingress_class=spec.ingress_class,
                annotations=spec.ingress_annotations,
            )
        )
    return rendered
