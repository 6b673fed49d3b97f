"""The Workbench server: its Deployment (one `workbench` container running supervisord, which starts rserver
and the Job Launcher), Service and Ingress."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products import images
from teamop.products.context import RenderContext
from teamop.products.objects import ServicePort, ingress, service, sticky_cookie_annotations
from teamop.products.sidecar import chronicle_agent_container
from teamop.products.traefik import ingress_annotations, workbench_middlewares
from teamop.products.workbench import names, secrets
from teamop.products.workbench.names import COMPONENT
from teamop.products.workbench.volumes import CHRONICLE_LOGS_PATH, CHRONICLE_LOGS_VOLUME
from teamop.products.workload import (
    ContainerPort,
    HttpProbe,
    PodParts,
    Workload,
    deployment,
    env_from_secret,
    env_value,
)

CONTAINER_NAME = "workbench"
COMMAND = ("supervisord",)
HEALTH_CHECK_PATH = "/health-check"
# supervisord starts services as root and rserver drops privileges per user, hence not runAsNonRoot.
CONTAINER_SECURITY_CONTEXT: Mapping[str, Any] = {"allowPrivilegeEscalation": True, "runAsNonRoot": False}
def replicas(spec: WorkbenchSpec) -> int:
    return 1 if spec.replicas is None else spec.replicas


def server_env(spec: WorkbenchSpec, context: RenderContext) -> list[dict[str, Any]]:
    """Environment of the server container, secrets only by reference."""
    env = [
        env_value("XDG_CONFIG_DIRS", names.XDG_CONFIG_DIRS),
        env_from_secret("RSW_TESTUSER_PASSWD", context.secret(secrets.TESTUSER_PASSWORD)),
    ]
    if context.database is not None:
        # Workbench reads the PostgreSQL password from this variable; database.conf carries none.
        env.append(env_from_secret("WORKBENCH_POSTGRES_PASSWORD", context.database.password))
    if secrets.snowflake_enabled(spec) and spec.snowflake is not None:
        env += [
            env_value("SNOWFLAKE_ACCOUNT", spec.snowflake.account_id or ""),
            env_value("SNOWFLAKE_CLIENT_ID", spec.snowflake.client_id or ""),
        ]
        client_secret = context.secrets.get(secrets.SNOWFLAKE_CLIENT_SECRET)
        if client_secret is not None:
            env.append(env_from_secret("SNOWFLAKE_CLIENT_SECRET", client_secret))
    return env


def chronicle_sidecars(spec: WorkbenchSpec, context: RenderContext) -> list[dict[str, Any]]:
    if context.chronicle is None:
        return []
    # Issued by Chronicle: without it in the site secret the agent runs without the product's key.
    api_key = context.secrets.get(secrets.CHRONICLE_API_KEY) if spec.chronicle_sidecar_product_api_key_enabled else None
    logs = {"name": CHRONICLE_LOGS_VOLUME, "mountPath": CHRONICLE_LOGS_PATH, "readOnly": True}
    return [
        chronicle_agent_container(
            context.chronicle, "workbench", api_key=api_key, volume_mounts=[logs], image_pull_policy=None
        )
    ]


def server_deployment(spec: WorkbenchSpec, context: RenderContext, parts: PodParts, config_hash: str) -> dict[str, Any]:
    site, namespace = context.site, context.namespace
    workload = Workload(
        site=site,
        namespace=namespace,
        component=COMPONENT,
        container_name=CONTAINER_NAME,
        image=images.server_image("workbench", spec.image),
        image_pull_policy=spec.image_pull_policy,
        image_pull_secrets=tuple(spec.image_pull_secrets or ()),
        service_account=names.server(site),
        config_hash=config_hash,
        command=COMMAND,
        ports=(ContainerPort("http", names.HTTP_PORT), ContainerPort("metrics", names.METRICS_PORT)),
        env=[*server_env(spec, context), *parts.env, env_value("LAUNCHER_INSTANCE_ID", names.server(site))],
        add_env=spec.add_env,
        volumes=parts.volumes,
        volume_mounts=parts.mounts,
        readiness_probe=HttpProbe(HEALTH_CHECK_PATH),
        security_context=CONTAINER_SECURITY_CONTEXT,
        node_selector=spec.node_selector,
        tolerations=[t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in spec.tolerations or ()],
        sidecars=chronicle_sidecars(spec, context),
        automount_service_account_token=True,
        sleep=bool(spec.sleep),
    )
    return deployment(workload, replicas(spec))


def server_service(site: str, namespace: str) -> dict[str, Any]:
    # Traefik keeps a browser on one replica: Workbench's load balancer then proxies to the user's session.
    return service(site, namespace, COMPONENT, [ServicePort("http", names.SERVICE_PORT)],
                   annotations=sticky_cookie_annotations(names.server(site)))


def server_middlewares(spec: WorkbenchSpec, site: str, namespace: str) -> list[dict[str, Any]]:
    return workbench_middlewares(site, namespace, COMPONENT, url=spec.url, parent_url=spec.parent_url)


def server_ingress(spec: WorkbenchSpec, site: str, namespace: str) -> dict[str, Any] | None:
    if not spec.url:
        return None
    return ingress(
        site,
        namespace,
        COMPONENT,
        spec.url,
        ingress_class=spec.ingress_class,
        annotations=ingress_annotations(namespace, server_middlewares(spec, site, namespace),
                                        spec.ingress_annotations),
    )
