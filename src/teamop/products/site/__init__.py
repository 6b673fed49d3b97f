"""A Site as pure data: everything the Site controller keeps in the cluster, and what it must tell the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products.context import SecretKeyRef
from teamop.products.site.extras import (
    cloud_storage_class,
    extra_service_accounts,
    keycloak_objects,
    nfs_persistent_volumes,
    prepull_daemonset,
    shared_directory_claim,
)
from teamop.products.site.network import network_policies
from teamop.products.site.products import (
    PRODUCTS,
    DatabaseServer,
    chronicle_agent_image,
    enabled_sections,
    product_host,
    product_resources,
)

__all__ = ["PRODUCTS", "DatabaseServer", "Notice", "SiteInputs", "SiteRendered", "enabled_sections",
           "product_host", "render_site"]


@dataclass(frozen=True)
class SiteInputs:
    """What the controller found in the cluster for this Site."""

    database: DatabaseServer | None = None
    keycloak_crd_installed: bool = False
    keycloak_password: SecretKeyRef | None = None


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
    rendered.cluster_objects = nfs_persistent_volumes(site, spec)
    shared = shared_directory_claim(site, namespace, spec)
    if shared:
        rendered.objects.append(shared)
    rendered.objects += extra_service_accounts(site, namespace, spec)
    rendered.objects += product_resources(site, namespace, spec, inputs.database)
    prepull = prepull_daemonset(site, namespace, spec)
    if prepull:
        rendered.objects.append(prepull)
    rendered.objects += network_policies(site, namespace, spec, inputs.database)
    rendered.notices += _storage_notices(site, spec)
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
            rendered.objects += keycloak_objects(site, namespace, spec, inputs.database, inputs.keycloak_password)
    return rendered


def _storage_notices(site: str, spec: SiteSpec) -> list[Notice]:
    storage_class = cloud_storage_class(site, spec)
    if storage_class is None:
        return []
    return [Notice(
        "StorageReady", "StorageClassRequired",
        f"spec.volumeSource.type is {spec.volume_source.type if spec.volume_source else ''}: the products' volumes "
        f"are claimed from StorageClass {storage_class!r}, which must exist (provisioned by that cloud's CSI driver "
        "for the file system named in spec.volumeSource); claims stay Pending until it does")]


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
