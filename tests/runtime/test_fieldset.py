"""Fields we stopped setting are found from our field manager's managedFields entry, so apply removes them."""

from __future__ import annotations

from teamop.runtime.apply import why_apply
from teamop.runtime.fieldset import fields_no_longer_desired, leaf_paths, owned_fields

OWNED = {
    "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}},
    "f:data": {"f:a": {}, "f:b": {}},
    "f:spec": {
        "f:containers": {
            'k:{"name":"web"}': {".": {}, "f:name": {}, "f:image": {}, "f:env": {'k:{"name":"MODE"}': {".": {}}}},
        },
        "f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}},
        "f:finalizers": {'v:"a"': {}},
    },
}


def live_with(fields: dict[str, object], manager: str = "team-operator") -> dict[str, object]:
    return {
        "metadata": {
            "managedFields": [
                {"manager": "kubectl", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {"f:x": {}}},
                {"manager": manager, "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": fields},
            ]
        }
    }


def desired_all() -> dict[str, object]:
    return {
        "metadata": {"labels": {"app": "x", "tier": "y"}},
        "data": {"a": "1", "b": "2"},
        "spec": {
            "containers": [{"name": "web", "image": "nginx", "env": [{"name": "MODE", "value": "1"}]}],
            "ports": [{"port": 80}],
            "finalizers": ["a"],
        },
    }


def test_our_apply_entry_is_found_among_the_managed_fields() -> None:
    assert owned_fields(live_with(OWNED), "team-operator") == OWNED
    assert owned_fields(live_with(OWNED, manager="someone-else"), "team-operator") is None


def test_status_entries_are_told_apart_from_the_main_resource() -> None:
    live = live_with(OWNED)
    live["metadata"]["managedFields"][1]["subresource"] = "status"  # type: ignore[index]
    assert owned_fields(live, "team-operator") is None
    assert owned_fields(live, "team-operator", subresource="status") == OWNED


def test_nothing_is_stale_when_every_owned_field_is_still_desired() -> None:
    assert fields_no_longer_desired(OWNED, desired_all()) == []


def test_a_map_key_we_stopped_setting_is_found() -> None:
    desired = desired_all()
    del desired["data"]["b"]  # type: ignore[attr-defined]
    assert fields_no_longer_desired(OWNED, desired) == [("f:data", "f:b")]


def test_a_label_we_stopped_setting_is_found() -> None:
    desired = desired_all()
    del desired["metadata"]["labels"]["tier"]  # type: ignore[index]
    assert fields_no_longer_desired(OWNED, desired) == [("f:metadata", "f:labels", "f:tier")]


def test_a_keyed_list_element_we_stopped_setting_is_found() -> None:
    desired = desired_all()
    desired["spec"]["containers"][0]["env"] = []  # type: ignore[index]
    assert fields_no_longer_desired(OWNED, desired) == [
        ("f:spec", "f:containers", 'k:{"name":"web"}', "f:env", 'k:{"name":"MODE"}')
    ]


def test_a_field_inside_a_keyed_element_we_stopped_setting_is_found() -> None:
    desired = desired_all()
    del desired["spec"]["containers"][0]["image"]  # type: ignore[index]
    assert fields_no_longer_desired(OWNED, desired) == [("f:spec", "f:containers", 'k:{"name":"web"}', "f:image")]


def test_a_key_field_left_to_its_server_default_still_matches() -> None:
    # managedFields record ports under the defaulted key {"port":80,"protocol":"TCP"}; desired omits protocol.
    assert fields_no_longer_desired(OWNED, desired_all()) == []


def test_a_set_element_we_stopped_setting_is_found() -> None:
    desired = desired_all()
    desired["spec"]["finalizers"] = ["b"]  # type: ignore[index]
    assert fields_no_longer_desired(OWNED, desired) == [("f:spec", "f:finalizers", 'v:"a"')]


def test_leaf_paths_list_every_owned_field() -> None:
    assert ("f:data", "f:a") in set(leaf_paths(OWNED))
    assert ("f:spec", "f:containers", 'k:{"name":"web"}', "f:image") in set(leaf_paths(OWNED))


def test_why_apply_is_none_for_a_converged_object() -> None:
    live = {**desired_all(), **live_with(OWNED)}
    live["metadata"] = {**live["metadata"], "labels": {"app": "x", "tier": "y"}}  # type: ignore[dict-item]
    assert why_apply(desired_all(), live, "team-operator") is None


def test_why_apply_names_a_removed_setting() -> None:
    live = {**desired_all(), **live_with(OWNED)}
    live["metadata"] = {**live["metadata"], "labels": {"app": "x", "tier": "y"}}  # type: ignore[dict-item]
    desired = desired_all()
    del desired["data"]["b"]  # type: ignore[attr-defined]
    assert why_apply(desired, live, "team-operator") == "owns fields no longer desired: f:data.f:b"


def test_why_apply_says_absent_for_a_missing_object() -> None:
    assert why_apply(desired_all(), None, "team-operator") == "absent"
