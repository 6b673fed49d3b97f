"""A Site as pure data: everything the Site controller keeps in the cluster, and what it must tell the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products.aws_secrets import SECRET_PROVIDER_CLASS_CRD, is_aws, keycloak_login_secret
from teamop.products.context import SecretKeyRef
from teamop.products.site.extras import extra_service_accounts, prepull_daemonset
from teamop.products.site.keycloak import keycloak_objects
from teamop.products.site.network import network_policies
from teamop.products.site.products import (
    PRODUCTS,
    DatabaseServer,
    chronicle_agent_image,
    enabled_sections,
    product_host,
    product_resources,
)
from teamop.products.site.volumes import (
    persistent_volumes,
    shared_directory_claim,
    storage_problem,
    subdirectory_objects,
)

__all__ = ["PRODUCTS", "DatabaseServer", "Notice", "SiteInputs", "SiteRendered", "enabled_sections",
           "product_host", "render_site"]


@dataclass(frozen=True)
class SiteInputs:
    """What the controller found in the cluster for this Site."""

    database: DatabaseServer | None = None
    keycloak_crd_installed: bool = False
    keycloak_password: SecretKeyRef | None = None
    keycloak_user: SecretKeyRef | None = None
    """Where Keycloak's database role name is: the site secret's `keycloak-db-user` when it has one, else the
    `-generated` Secret."""
    traefik_crd_installed: bool = False
    """Whether Traefik's Middleware kind is served: Keycloak's forward Middleware is made only then."""
    secret_provider_class_crd_installed: bool = False
    """Whether the Secrets Store CSI driver's SecretProviderClass is served (for `secret.type: aws`)."""


@dataclass(frozen=True)
class Notice:
    """Something the user should know, for a status condition (and a Warning Event when `warning`)."""

    condition: str
    reason: str
    message: str
    warning: bool = False
    status: bool = False


@dataclass
class SiteRendered:
    objects: list[dict[str, Any]] = field(default_factory=list)
    """Namespaced children, owned by the Site, in apply order."""
    cluster_objects: list[dict[str, Any]] = field(default_factory=list)
    """Cluster-scoped objects (PVs): labelled only; the Site's finalizer removes them."""
    notices: list[Notice] = field(default_factory=list)


def render_site(site: str, namespace: str, spec: SiteSpec, inputs: SiteInputs) -> SiteRendered:
    rendered = SiteRendered()
    rendered.cluster_objects = persistent_volumes(site, spec)
    shared = shared_directory_claim(site, namespace, spec)
    if shared:
        rendered.objects.append(shared)
    rendered.objects += subdirectory_objects(site, namespace, spec)
    rendered.objects += extra_service_accounts(site, namespace, spec)
    rendered.objects += product_resources(site, namespace, spec, inputs.database)
    prepull = prepull_daemonset(site, namespace, spec)
    if prepull:
        rendered.objects.append(prepull)
    rendered.objects += network_policies(site, namespace, spec, inputs.database)
    rendered.notices += _storage_notices(spec)
    rendered.notices += _chronicle_notices(spec)
    rendered.notices += _auth_notices(spec)
    if spec.keycloak and spec.keycloak.enabled:
        if not inputs.keycloak_crd_installed:
            rendered.notices.append(Notice(
                "KeycloakReady", "KeycloakCRDMissing",
                "spec.keycloak.enabled is true but the Keycloak operator's CRD (keycloaks.k8s.keycloak.org) is "
                "not installed: install the Keycloak operator; nothing else is affected", warning=True))
        elif inputs.database is None or inputs.keycloak_password is None:
            rendered.notices.append(Notice("KeycloakReady", "DatabaseNotConfigured",
                                           "Keycloak waits for the Site's database settings (spec.workloadSecret)"))
        else:
            rendered.objects += keycloak_objects(
                site, namespace, spec, inputs.database, inputs.keycloak_password, user=inputs.keycloak_user,
                middleware=inputs.traefik_crd_installed, provider_class=inputs.secret_provider_class_crd_installed)
            if is_aws(spec.secret) and not inputs.secret_provider_class_crd_installed:
                rendered.notices.append(Notice(
                    "KeycloakReady", "SecretProviderClassCRDMissing",
                    f"secret.type is aws but the Secrets Store CSI driver's CRD ({SECRET_PROVIDER_CLASS_CRD}) is not "
                    f"installed: Keycloak's database login is never synced into {keycloak_login_secret(site)}",
                    warning=True))
    return rendered


def _storage_notices(spec: SiteSpec) -> list[Notice]:
    problem = storage_problem(spec)
    if problem is None:
        return []
    return [Notice("StorageReady", "VolumeSourceIncomplete", problem, warning=True)]


def _chronicle_notices(spec: SiteSpec) -> list[Notice]:
    if "chronicle" not in enabled_sections(spec) or chronicle_agent_image(spec):
        return []
    return [Notice("ChronicleAgents", "NoAgentImage",
                   "Chronicle is enabled but spec.chronicle.agentImage is not set: no agent sidecar was added to "
                   "Connect or Workbench")]


def _auth_notices(spec: SiteSpec) -> list[Notice]:
    notices = []
    for name, section in (("connect", spec.connect), ("workbench", spec.workbench)):
        if section is not None and section.auth is not None and section.auth.type == "none":
            notices.append(Notice("AuthConfigured", "AuthNoneMeansPassword",
                                  f"spec.{name}.auth.type is 'none': {name} uses password authentication",
                                  warning=True, status=True))
    return notices
