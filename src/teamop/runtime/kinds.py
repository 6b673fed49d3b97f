"""Group/version/kind and the REST mapping to resource plurals: a built-in table, API discovery for the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from teamop.runtime.errors import NoKindMatch, NotFound

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class GVK:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @classmethod
    def from_api_version(cls, api_version: str, kind: str) -> GVK:
        group, _, version = api_version.rpartition("/")
        return cls(group, version, kind)

    def __str__(self) -> str:
        return f"{self.kind}.{self.api_version}"


@dataclass(frozen=True)
class ResourceInfo:
    gvk: GVK
    plural: str
    namespaced: bool


def gvk_of(obj: Mapping[str, Any]) -> GVK:
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api_version, str) or not api_version or not isinstance(kind, str) or not kind:
        raise ValueError("object has no apiVersion and kind")
    return GVK.from_api_version(api_version, kind)


def _table(group: str, version: str, entries: str) -> list[ResourceInfo]:
    """entries: 'Kind:plural' (namespaced) or 'Kind:plural:cluster', space separated."""
    infos = []
    for entry in entries.split():
        kind, plural, *scope = entry.split(":")
        infos.append(ResourceInfo(GVK(group, version, kind), plural, namespaced=not scope))
    return infos


BUILTIN: dict[GVK, ResourceInfo] = {
    info.gvk: info
    for info in [
        *_table(
            "", "v1",
            "Pod:pods Service:services ConfigMap:configmaps Secret:secrets ServiceAccount:serviceaccounts "
            "PersistentVolumeClaim:persistentvolumeclaims Endpoints:endpoints Event:events LimitRange:limitranges "
            "ResourceQuota:resourcequotas ReplicationController:replicationcontrollers PodTemplate:podtemplates "
            "Namespace:namespaces:cluster Node:nodes:cluster PersistentVolume:persistentvolumes:cluster",
        ),
        *_table(
            "apps", "v1",
            "Deployment:deployments StatefulSet:statefulsets DaemonSet:daemonsets ReplicaSet:replicasets "
            "ControllerRevision:controllerrevisions",
        ),
        *_table("batch", "v1", "Job:jobs CronJob:cronjobs"),
        *_table(
            "networking.k8s.io", "v1",
            "Ingress:ingresses NetworkPolicy:networkpolicies IngressClass:ingressclasses:cluster",
        ),
        *_table("policy", "v1", "PodDisruptionBudget:poddisruptionbudgets"),
        *_table(
            "rbac.authorization.k8s.io", "v1",
            "Role:roles RoleBinding:rolebindings ClusterRole:clusterroles:cluster "
            "ClusterRoleBinding:clusterrolebindings:cluster",
        ),
        *_table("coordination.k8s.io", "v1", "Lease:leases"),
        *_table("events.k8s.io", "v1", "Event:events"),
        *_table("apiextensions.k8s.io", "v1", "CustomResourceDefinition:customresourcedefinitions:cluster"),
        *_table("discovery.k8s.io", "v1", "EndpointSlice:endpointslices"),
        *_table("storage.k8s.io", "v1", "StorageClass:storageclasses:cluster"),
        *_table("autoscaling", "v2", "HorizontalPodAutoscaler:horizontalpodautoscalers"),
    ]
}

# Fetches a discovery document (an APIResourceList) by URL path, e.g. "/apis/core.posit.team/v1beta1".
DiscoveryFetch = Callable[[str], Awaitable[Mapping[str, Any]]]


class KindRegistry:
    """Maps a GVK to its resource plural and scope.

    Built-in kinds never cost a request. Other kinds are resolved by discovery of their group/version, cached; a
    kind missing from a cached group/version triggers one fresh discovery (a CRD may have been installed since).
    """

    def __init__(self, fetch: DiscoveryFetch | None = None) -> None:
        self._fetch = fetch
        self._known: dict[GVK, ResourceInfo] = dict(BUILTIN)
        self._discovered: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def register(self, info: ResourceInfo) -> None:
        self._known[info.gvk] = info

    def lookup(self, gvk: GVK) -> ResourceInfo | None:
        """The mapping if already known, without any request."""
        return self._known.get(gvk)

    def invalidate(self, group_version: str | None = None) -> None:
        """Forget discovered group/versions (all, or one) so the next resolve asks the server again."""
        stale = [gv for gv in self._discovered if group_version in (None, gv)]
        for gv in stale:
            self._discovered.discard(gv)
            for gvk in [g for g in self._known if g.api_version == gv and g not in BUILTIN]:
                del self._known[gvk]

    def forget(self, gvk: GVK) -> None:
        """Forget `gvk` (its CRD was removed) and its group/version's discovery: the next resolve asks again."""
        if gvk not in BUILTIN:
            self._known.pop(gvk, None)
        self.invalidate(gvk.api_version)

    async def resolve(self, gvk: GVK) -> ResourceInfo:
        info = self._known.get(gvk)
        if info is not None:
            return info
        if self._fetch is None:
            raise NoKindMatch(f"no mapping for {gvk} and no discovery")
        gv = gvk.api_version
        lock = self._locks.setdefault(gv, asyncio.Lock())
        async with lock:
            info = self._known.get(gvk)
            if info is not None:
                return info
            await self._discover(gv)
        info = self._known.get(gvk)
        if info is None:
            raise NoKindMatch(f"the server does not serve {gvk}")
        return info

    async def _discover(self, group_version: str) -> None:
        path = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
        try:
            doc = await self._fetch(path) if self._fetch else {}
        except NotFound:
            raise NoKindMatch(f"the server does not serve {group_version}") from None
        group, _, version = group_version.rpartition("/")
        for resource in doc.get("resources") or []:
            name = resource.get("name", "")
            if "/" in name:  # subresources such as deployments/status
                continue
            gvk = GVK(group, version, resource["kind"])
            self._known.setdefault(gvk, ResourceInfo(gvk, name, bool(resource.get("namespaced"))))
        self._discovered.add(group_version)
        log.debug("discovered group version", group_version=group_version)
