"""Which children may be written together, and which must wait for others (`teamop.runtime.applyorder`)."""

from __future__ import annotations

import pytest

from teamop.runtime.applyorder import BINDINGS, REFERENCED, WORKLOADS, apply_phase, in_phases
from teamop.runtime.kinds import GVK


@pytest.mark.parametrize("gvk", [
    GVK("", "v1", "ConfigMap"), GVK("", "v1", "Secret"), GVK("", "v1", "ServiceAccount"),
    GVK("", "v1", "PersistentVolumeClaim"), GVK("", "v1", "PersistentVolume"),
    GVK("rbac.authorization.k8s.io", "v1", "Role"), GVK("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    GVK("networking.k8s.io", "v1", "NetworkPolicy"),
])
def test_what_others_refer_to_is_written_first(gvk: GVK) -> None:
    assert apply_phase(gvk) == REFERENCED


@pytest.mark.parametrize("kind", ["RoleBinding", "ClusterRoleBinding"])
def test_role_bindings_wait_for_the_roles(kind: str) -> None:
    assert apply_phase(GVK("rbac.authorization.k8s.io", "v1", kind)) == BINDINGS


@pytest.mark.parametrize("gvk", [
    GVK("apps", "v1", "Deployment"), GVK("apps", "v1", "StatefulSet"), GVK("apps", "v1", "DaemonSet"),
    GVK("batch", "v1", "Job"), GVK("batch", "v1", "CronJob"), GVK("", "v1", "Pod"),
])
def test_workloads_are_written_last(gvk: GVK) -> None:
    assert apply_phase(gvk) == WORKLOADS


@pytest.mark.parametrize("gvk", [
    GVK("", "v1", "Service"), GVK("networking.k8s.io", "v1", "Ingress"), GVK("policy", "v1", "PodDisruptionBudget"),
])
def test_what_nothing_reads_at_creation_does_not_hold_up_the_workloads(gvk: GVK) -> None:
    assert apply_phase(gvk) == WORKLOADS


def test_custom_resources_are_written_with_the_workloads() -> None:
    assert apply_phase(GVK("core.posit.team", "v1beta1", "Connect")) == WORKLOADS
    assert apply_phase(GVK("k8s.keycloak.org", "v2alpha1", "Keycloak")) == WORKLOADS


def test_phases_keep_the_order_given_and_leave_out_empty_ones() -> None:
    deployment, config, secret = GVK("apps", "v1", "Deployment"), GVK("", "v1", "ConfigMap"), GVK("", "v1", "Secret")
    items = [("d", deployment), ("c", config), ("s", secret)]
    assert in_phases(items, lambda item: item[1]) == [[("c", config), ("s", secret)], [("d", deployment)]]


def test_no_children_make_no_phases() -> None:
    assert in_phases([], lambda item: item) == []
