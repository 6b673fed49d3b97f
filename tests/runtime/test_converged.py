"""The skip decision: a write is skipped only when every desired field is in the live object with the same value and
owned by our field manager through Apply. The live objects and field sets here are as the API server stores them
(checked on the test control plane: a zero value it drops stays in the applier's field set; a JSON patch that
removes or changes one of our fields takes it from our field set; atomic lists and maps are one field)."""

from __future__ import annotations

import copy
from typing import Any

from teamop.runtime.converged import unconverged, why_apply

MANAGER = "team-operator"


def entry(fields: dict[str, Any], manager: str = MANAGER, operation: str = "Apply") -> dict[str, Any]:
    return {"manager": manager, "operation": operation, "apiVersion": "v1", "fieldsType": "FieldsV1",
            "fieldsV1": fields}


def stored(obj: dict[str, Any], *entries: dict[str, Any]) -> dict[str, Any]:
    live = copy.deepcopy(obj)
    live["metadata"]["managedFields"] = list(entries)
    return live


def pod(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec}


def owning(*names: str) -> dict[str, Any]:
    """Our field set for a pod whose spec sets `names` (scalars, or values owned as a whole)."""
    return {"f:spec": {f"f:{name}": {} for name in names}}


# -- converged ---------------------------------------------------------------------------------------------------


def test_an_object_as_we_applied_it_is_converged() -> None:
    desired = pod(hostname="web", hostNetwork=False)
    live = stored(pod(hostname="web"), entry(owning("hostname", "hostNetwork")))
    assert why_apply(desired, live, MANAGER) is None


def test_identity_fields_need_no_owner() -> None:
    desired = pod(hostname="web")
    assert unconverged(desired, stored(desired), owning("hostname")) == []


def test_a_field_with_the_right_value_that_is_not_ours_is_applied() -> None:
    desired = pod(hostname="web")
    live = stored(desired, entry(owning("hostname"), manager="kubectl", operation="Update"))
    assert why_apply(desired, live, MANAGER) == "not owned spec.hostname"


def test_an_object_we_never_applied_is_applied() -> None:
    desired = pod(hostname="web")
    assert why_apply(desired, stored(desired), MANAGER) == "not owned spec.hostname"


# -- zero values -------------------------------------------------------------------------------------------------


def test_each_zero_value_the_server_dropped_is_still_ours_so_converged() -> None:
    for zero in (False, 0, ""):
        desired = pod(value=zero)
        assert unconverged(desired, stored(pod()), owning("value")) == [], zero


def test_each_zero_value_someone_removed_is_applied_again() -> None:
    for zero in (False, 0, ""):
        desired = pod(value=zero, other="x")
        assert unconverged(desired, stored(pod(other="x")), owning("other")) == ["not owned spec.value"], zero


def test_each_zero_value_differs_from_a_set_one() -> None:
    for zero, set_value in ((False, True), (0, 3), ("", "x")):
        desired = pod(value=zero)
        assert unconverged(desired, stored(pod(value=set_value)), owning("value")) == ["differs spec.value"], zero


def test_false_and_zero_are_not_the_same_value() -> None:
    assert unconverged(pod(value=False), stored(pod(value=0)), owning("value")) == ["differs spec.value"]


def test_an_empty_struct_that_is_ours_is_converged() -> None:
    desired = pod(volumes=[{"name": "tmp", "emptyDir": {}}])
    fields = {"f:spec": {"f:volumes": {'k:{"name":"tmp"}': {".": {}, "f:name": {}, "f:emptyDir": {}}}}}
    assert unconverged(desired, stored(desired), fields) == []


def test_an_empty_struct_someone_removed_is_applied_again() -> None:
    desired = pod(securityContext={}, hostname="a")
    assert unconverged(desired, stored(pod(hostname="a")), owning("hostname")) == ["not owned spec.securityContext"]


def test_an_empty_list_the_server_never_recorded_is_converged() -> None:
    # an empty keyed list (`env: []`) leaves nothing in the field set, and the server drops it
    assert unconverged(pod(env=[], hostname="a"), stored(pod(hostname="a")), owning("hostname")) == []


def test_an_empty_map_with_keys_another_manager_owns_one_by_one_is_converged() -> None:
    # a Deployment's `annotations: {}`: the deployment controller's revision annotation takes the map's own entry
    desired = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": {}}}
    live = stored({**desired, "metadata": {"name": "p", "annotations": {"revision": "1"}}}, entry({}),
                  {**entry({"f:metadata": {"f:annotations": {".": {}, "f:revision": {}}}}, "controller", "Update"),
                   "subresource": "status"})  # written with its status, as the deployment controller does
    assert why_apply(desired, live, MANAGER) is None


def test_an_empty_atomic_map_someone_filled_is_applied_again() -> None:
    desired = pod(nodeSelector={})
    live = stored(pod(nodeSelector={"zone": "a"}), entry({}), entry(owning("nodeSelector"), "kubectl", "Update"))
    assert why_apply(desired, live, MANAGER) == "differs spec.nodeSelector"


# -- atomic lists and maps ---------------------------------------------------------------------------------------


def test_an_atomic_list_as_we_applied_it_is_converged() -> None:
    desired = pod(args=["serve", "--port=80"])
    assert unconverged(desired, stored(desired), owning("args")) == []


def test_an_element_someone_added_to_an_atomic_list_takes_it_from_us() -> None:
    desired = pod(args=["serve"], hostname="a")
    live = stored(pod(args=["serve", "--debug"], hostname="a"))
    assert unconverged(desired, live, owning("hostname")) == ["not owned spec.args"]


def test_an_element_we_stopped_rendering_in_an_atomic_list_is_a_difference() -> None:
    desired = pod(args=["serve"])
    assert unconverged(desired, stored(pod(args=["serve", "--debug"])), owning("args")) == ["differs spec.args"]


def test_a_key_someone_added_to_an_atomic_map_takes_it_from_us() -> None:
    desired = pod(nodeSelector={"zone": "a"}, hostname="a")
    live = stored(pod(nodeSelector={"zone": "a", "added": "x"}, hostname="a"))
    assert unconverged(desired, live, owning("hostname")) == ["not owned spec.nodeSelector.zone"]


def test_a_key_we_stopped_rendering_in_an_atomic_map_is_a_difference() -> None:
    desired = pod(nodeSelector={"zone": "a"})
    live = stored(pod(nodeSelector={"zone": "a", "disk": "ssd"}))
    assert unconverged(desired, live, owning("nodeSelector")) == ["differs spec.nodeSelector"]


def test_zero_values_inside_an_atomic_value_count_as_absent() -> None:
    desired = pod(tolerations=[{"key": "k", "operator": "Exists", "effect": ""}])
    live = stored(pod(tolerations=[{"key": "k", "operator": "Exists"}]))
    assert unconverged(desired, live, owning("tolerations")) == []


def test_an_owner_reference_is_owned_as_a_whole() -> None:
    reference = {"apiVersion": "v1", "kind": "Thing", "name": "o", "uid": "u1", "controller": True}
    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "ownerReferences": [reference]}}
    fields = {"f:metadata": {"f:ownerReferences": {'k:{"uid":"u1"}': {}}}}
    other = {**reference, "uid": "u2", "controller": False}
    live = stored({**desired, "metadata": {"name": "c", "ownerReferences": [other, reference]}})
    assert unconverged(desired, live, fields) == []
    assert unconverged(desired, stored({**desired, "metadata": {"name": "c", "ownerReferences": [
        {**reference, "controller": False}]}}), fields) == ["differs metadata.ownerReferences[0]"]


# -- keyed lists -------------------------------------------------------------------------------------------------


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "web", "image": "web:1", **fields}


CONTAINER_FIELDS = {'k:{"name":"web"}': {".": {}, "f:name": {}, "f:image": {}}}


def test_a_keyed_element_whose_key_field_the_server_defaulted_is_converged() -> None:
    desired = pod(containers=[container(ports=[{"containerPort": 80}])])
    live = stored(pod(containers=[container(ports=[{"containerPort": 80, "protocol": "TCP"}])]))
    fields = {"f:spec": {"f:containers": {'k:{"name":"web"}': {
        **CONTAINER_FIELDS['k:{"name":"web"}'],
        "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}}}}
    assert unconverged(desired, live, fields) == []


def test_a_keyed_element_someone_removed_is_applied_again() -> None:
    desired = pod(containers=[container(), {"name": "sidecar", "image": "s:1"}])
    live = stored(pod(containers=[container()]))
    assert unconverged(desired, live, {"f:spec": {"f:containers": CONTAINER_FIELDS}}) == [
        "not owned spec.containers[1]"]


def test_a_field_removed_inside_a_keyed_element_is_applied_again() -> None:
    desired = pod(containers=[container(securityContext={"allowPrivilegeEscalation": False, "runAsNonRoot": True})])
    live = stored(pod(containers=[container(securityContext={"runAsNonRoot": True})]))
    fields = {"f:spec": {"f:containers": {'k:{"name":"web"}': {
        **CONTAINER_FIELDS['k:{"name":"web"}'], "f:securityContext": {"f:runAsNonRoot": {}}}}}}
    assert unconverged(desired, live, fields) == [
        "not owned spec.containers[0].securityContext.allowPrivilegeEscalation"]


# -- values the server normalises --------------------------------------------------------------------------------


def resources(limits: dict[str, Any]) -> dict[str, Any]:
    return pod(containers=[container(resources={"limits": limits})])


RESOURCE_FIELDS = {"f:spec": {"f:containers": {'k:{"name":"web"}': {
    **CONTAINER_FIELDS['k:{"name":"web"}'], "f:resources": {"f:limits": {"f:cpu": {}, "f:memory": {}}}}}}}


def test_quantities_compare_as_the_server_canonicalises_them() -> None:
    for desired, live in (({"cpu": "1000m", "memory": "0.5Gi"}, {"cpu": "1", "memory": "512Mi"}),
                          ({"cpu": 0.5, "memory": "1Gi"}, {"cpu": "500m", "memory": "1Gi"}),
                          ({"cpu": 2, "memory": "1024Mi"}, {"cpu": "2", "memory": "1Gi"})):
        assert unconverged(resources(desired), stored(resources(live)), RESOURCE_FIELDS) == [], desired


def test_a_changed_quantity_is_a_difference() -> None:
    desired, live = resources({"cpu": "1", "memory": "1Gi"}), stored(resources({"cpu": "2", "memory": "1Gi"}))
    assert unconverged(desired, live, RESOURCE_FIELDS) == ["differs spec.containers[0].resources.limits.cpu"]


def test_an_int_or_string_value_keeps_its_type() -> None:
    desired = pod(port="8080")
    assert unconverged(desired, stored(pod(port=8080)), owning("port")) == ["differs spec.port"]
    assert unconverged(pod(port=8080), stored(pod(port=8080)), owning("port")) == []


def test_a_string_that_looks_like_a_quantity_elsewhere_compares_as_a_string() -> None:
    desired = pod(size="1024Mi")
    assert unconverged(desired, stored(pod(size="1Gi")), owning("size")) == ["differs spec.size"]


# -- the other checks of why_apply -------------------------------------------------------------------------------


def test_a_field_we_own_but_no_longer_render_is_applied_away() -> None:
    live = stored(pod(hostname="a", subdomain="b"), entry(owning("hostname", "subdomain")))
    assert why_apply(pod(hostname="a"), live, MANAGER) == "owns fields no longer desired: f:spec.f:subdomain"


def test_status_is_decided_on_the_status_entry() -> None:
    live = {**pod(), "status": {"phase": "Synced"}}
    live["metadata"]["managedFields"] = [{**entry({"f:status": {"f:phase": {}}}), "subresource": "status"}]
    assert why_apply({"status": {"phase": "Synced"}}, live, MANAGER, subresource="status") is None
    assert why_apply({"status": {"phase": "Synced"}}, live, MANAGER) == "not owned status.phase"
