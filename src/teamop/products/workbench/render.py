"""Workbench: spec + context → every object the Workbench controller applies. Pure; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.aws_secrets import aws_region, product_secrets
from teamop.products.context import RenderContext
from teamop.products.database import product_postgres_database
from teamop.products.license import WORKBENCH_LICENSE, LicenseParts, license_parts
from teamop.products.objects import pod_disruption_budget
from teamop.products.rendered import Rendered
from teamop.products.workbench import rbac, secrets
from teamop.products.workbench.claims import workbench_claims
from teamop.products.workbench.config_objects import config_objects
from teamop.products.workbench.effective import EffectiveConfig, effective_config
from teamop.products.workbench.names import COMPONENT
from teamop.products.workbench.placeholders import SecretTemplate
from teamop.products.workbench.server import (
    replicas,
    server_deployment,
    server_ingress,
    server_middlewares,
    server_service,
)
from teamop.products.workbench.volumes import Claims, KeyRefs, ServerMounts, server_parts
from teamop.products.workload import PodParts


@dataclass
class WorkbenchRendered(Rendered):
    secret_templates: list[SecretTemplate] = field(default_factory=list)
    """Rendered Secrets with placeholders the controller fills before applying them (`fill_secret_template`)."""
    license_missing: bool = False
    """No licence given in the spec or the site secret; the controller reports it."""


def render(spec: WorkbenchSpec, context: RenderContext) -> WorkbenchRendered:
    site, namespace = context.site, context.namespace
    cfg = effective_config(spec, context)
    claims = workbench_claims(spec, site, namespace)
    configs = config_objects(spec, context, cfg, claims.mounted)

    rendered = WorkbenchRendered()
    rendered.warnings += cfg.warnings
    rendered.files.update(configs.files)
    if configs.secret_template is not None:
        rendered.secret_templates.append(configs.secret_template)
    rendered.add(
        rbac.server_service_account(spec, site, namespace), rbac.session_service_account(spec, site, namespace)
    )
    rendered.add(*configs.objects)
    if spec.off_host_execution:
        rendered.add(rbac.launcher_role(site, namespace), rbac.launcher_role_binding(site, namespace))
    rendered.add(*claims.pvcs)
    if context.database is not None:
        rendered.add(
            product_postgres_database(context.database, spec, site=site, namespace=namespace, component=COMPONENT)
        )

    licence = license_parts(site, namespace, COMPONENT, spec.license, WORKBENCH_LICENSE, context.secrets)
    aws = product_secrets(COMPONENT, spec, site)
    if aws is not None:
        rendered.warnings += aws.warnings
        rendered.add(*aws.objects(namespace, aws_region()))
        if aws.license_parts is not None:  # the licence file from the CSI mount, as the reference
            licence = LicenseParts(pod=aws.license_parts)
    rendered.license_missing = licence.missing
    rendered.add(licence.secret)
    pod = PodParts.join(_server_pod_parts(spec, context, cfg, claims.mounted), licence.pod,
                        aws.pod if aws is not None else PodParts())
    rendered.add(
        server_service(site, namespace),
        server_deployment(spec, context, pod, rendered.config_hash),
        server_ingress(spec, site, namespace),
        pod_disruption_budget(site, namespace, COMPONENT, replicas(spec)),
    )
    if context.traefik_middlewares:
        rendered.add(*server_middlewares(spec, site, namespace))
    return rendered


def _server_pod_parts(spec: WorkbenchSpec, context: RenderContext, cfg: EffectiveConfig, claims: Claims) -> PodParts:
    mounts = ServerMounts(
        site=context.site,
        off_host_execution=bool(spec.off_host_execution),
        workbench_nss=bool(cfg.workbench_nss and cfg.workbench_nss.get("server-address")),
        positron=cfg.positron is not None,
        positron_user_settings=cfg.positron_user_settings is not None,
        launcher_env=cfg.launcher_env is not None,
        login_page=bool(spec.auth_login_page_html and spec.auth_login_page_html.strip()),
        non_root=bool(spec.non_root and cfg.supervisord_programs),
    )
    keys = KeyRefs(
        secure_cookie_key=context.secret(secrets.SECURE_COOKIE_KEY),
        launcher_private_key=context.secret(secrets.LAUNCHER_KEY),
        launcher_public_key=secrets.launcher_public_key(context),
    )
    return server_parts(mounts, claims, keys)
