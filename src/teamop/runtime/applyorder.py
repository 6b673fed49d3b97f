"""In which order an owner's children may be written: phases, each of which may be written all at once.

Three phases, by kind:
1. everything that others refer to: ServiceAccounts, Secrets, ConfigMaps, claims, Roles, network policies ...;
2. RoleBindings and ClusterRoleBindings: the API server's escalation check only lets a binding through when the
   role it names exists (and grants nothing the writer lacks);
3. workloads (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs) and every custom
   resource: a workload whose pod template changed rolls at once, so the configuration it reads must already be
   written; a custom resource's own controller reads the Secrets and ConfigMaps it names. With them what nothing
   reads at creation: Services, Ingresses and PodDisruptionBudgets (they select pods, whenever those come). A
   Service is the slowest object to create (the API server allocates its cluster IP): in the first phase it held
   up every workload behind it.

Within a phase nothing depends on anything else, so its objects can be written concurrently; a phase starts
once the one before it is written. The order given is kept within a phase.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from teamop.runtime.kinds import GVK

T = TypeVar("T")

REFERENCED, BINDINGS, WORKLOADS = 0, 1, 2

_BINDINGS = frozenset({
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
})
_WORKLOADS = frozenset({
    ("", "Pod"),
    ("", "ReplicationController"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
})
# Objects nothing reads when it is created: written with the workloads rather than holding them up.
_UNREFERENCED = frozenset({
    ("", "Service"),
    ("networking.k8s.io", "Ingress"),
    ("policy", "PodDisruptionBudget"),
})
# Groups served by the API server itself; a kind outside them is a custom resource.
_BUILT_IN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "node.k8s.io", "certificates.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io",
    "apiregistration.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "storagemigration.k8s.io",
    "authentication.k8s.io", "authorization.k8s.io",
})


def apply_phase(gvk: GVK) -> int:
    """The phase in which an object of `gvk` is written (REFERENCED, BINDINGS or WORKLOADS)."""
    kind = (gvk.group, gvk.kind)
    if kind in _BINDINGS:
        return BINDINGS
    if kind in _WORKLOADS or kind in _UNREFERENCED or gvk.group not in _BUILT_IN_GROUPS:
        return WORKLOADS
    return REFERENCED


def in_phases(items: Iterable[T], gvk_of: Callable[[T], GVK]) -> list[list[T]]:
    """`items` split into their phases, in phase order, each keeping the order given; empty phases left out."""
    phases: dict[int, list[T]] = {}
    for item in items:
        phases.setdefault(apply_phase(gvk_of(item)), []).append(item)
    return [phases[phase] for phase in sorted(phases)]
