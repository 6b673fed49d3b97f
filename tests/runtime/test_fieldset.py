"""Fields we stopped setting are found from our field manager's managedFields entry, so apply removes them."""

from __future__ import annotations

from typing import Any

from teamop.runtime.apply import why_apply
from teamop.runtime.fieldset import fields_no_longer_desired, leaf_paths, owned_fields, owns_anything, split, union

OWNED = {
    "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}},
    "f:data": {"f:a": {}, "f:b": {}},
    "f:spec": {
        "f:containers": {
            'k:{"name":"web"}': {".": {}, "f:name": {}, "f:image": {},
                                 "f:env": {'k:{"name":"MODE"}': {".": {}, "f:name": {}, "f:value": {}}}},
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


def converged_live() -> dict[str, Any]:
    """`desired_all()` as the server stores it after our apply: our field set, the port's protocol defaulted."""
    live: dict[str, Any] = {**desired_all(), **live_with(OWNED)}
    live["metadata"] = {**live["metadata"], "labels": {"app": "x", "tier": "y"}}
    live["spec"]["ports"] = [{"port": 80, "protocol": "TCP"}]
    return live


def test_why_apply_is_none_for_a_converged_object() -> None:
    assert why_apply(desired_all(), converged_live(), "team-operator") is None


def test_why_apply_names_a_removed_setting() -> None:
    live = converged_live()
    desired = desired_all()
    del desired["data"]["b"]  # type: ignore[attr-defined]
    assert why_apply(desired, live, "team-operator") == "owns fields no longer desired: f:data.f:b"


def test_why_apply_says_absent_for_a_missing_object() -> None:
    assert why_apply(desired_all(), None, "team-operator") == "absent"


# -- set operations (the takeover merges a predecessor's fields into ours) -------------------------------------------


def test_union_holds_the_fields_of_both_trees() -> None:
    ours = {"f:spec": {"f:replicas": {}}}
    theirs = {"f:spec": {"f:paused": {}}, "f:metadata": {"f:labels": {"f:old": {}}}}
    assert union(ours, theirs) == {"f:spec": {"f:replicas": {}, "f:paused": {}},
                                   "f:metadata": {"f:labels": {"f:old": {}}}}


def test_union_keeps_a_field_owned_as_a_whole_when_the_other_tree_owns_fields_below_it() -> None:
    # `{}`: the field itself; `{"f:b": {}}`: only b inside it. Both: the field itself ("."), and b.
    assert union({"f:a": {}}, {"f:a": {"f:b": {}}}) == {"f:a": {".": {}, "f:b": {}}}
    assert union({"f:a": {"f:b": {}}}, {"f:a": {}}) == {"f:a": {".": {}, "f:b": {}}}


def test_union_keeps_keyed_elements_and_their_own_marker() -> None:
    ours = {"f:env": {'k:{"name":"A"}': {".": {}, "f:name": {}, "f:value": {}}}}
    theirs = {"f:env": {".": {}, 'k:{"name":"A"}': {".": {}, "f:name": {}}, 'k:{"name":"OLD"}': {".": {}}}}
    assert union(ours, theirs) == {"f:env": {".": {}, 'k:{"name":"A"}': {".": {}, "f:name": {}, "f:value": {}},
                                             'k:{"name":"OLD"}': {".": {}}}}


def test_union_does_not_change_its_inputs() -> None:
    ours = {"f:a": {}}
    union(ours, {"f:a": {"f:b": {}}})
    assert ours == {"f:a": {}}


def test_split_takes_a_subtree_out_and_drops_the_parent_it_emptied() -> None:
    tree = {"f:metadata": {"f:finalizers": {".": {}, 'v:"example.dev/f"': {}}}, "f:spec": {"f:x": {}}}
    rest, taken = split(tree, [("f:metadata", "f:finalizers")])
    assert rest == {"f:spec": {"f:x": {}}}
    assert taken == {"f:metadata": {"f:finalizers": {".": {}, 'v:"example.dev/f"': {}}}}


def test_split_keeps_the_siblings_and_the_parents_own_ownership() -> None:
    tree = {"f:metadata": {".": {}, "f:labels": {"f:a": {}}, "f:finalizers": {'v:"f"': {}}}}
    rest, taken = split(tree, [("f:metadata", "f:finalizers")])
    assert rest == {"f:metadata": {".": {}, "f:labels": {"f:a": {}}}}
    assert taken == {"f:metadata": {"f:finalizers": {'v:"f"': {}}}}


def test_split_of_a_path_the_tree_does_not_have_takes_nothing() -> None:
    tree = {"f:spec": {"f:x": {}}}
    assert split(tree, [("f:metadata", "f:finalizers")]) == (tree, {})


def test_a_tree_of_bare_parents_owns_nothing() -> None:
    assert not owns_anything({})
    assert owns_anything({"f:metadata": {"f:finalizers": {'v:"f"': {}}}})
    assert owns_anything({"f:spec": {}})
