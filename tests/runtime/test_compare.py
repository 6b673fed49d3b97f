"""apply writes only when the live object does not already contain the desired one (a subset comparison that
ignores what the API server adds and normalises)."""

from __future__ import annotations

import base64

from teamop.runtime.compare import differences, is_subset, normalise_secret, parse_quantity

SERVICE_DESIRED = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "ns", "labels": {"app": "web"}},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]},
}

SERVICE_LIVE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "web", "namespace": "ns", "uid": "u1", "resourceVersion": "42", "generation": 1,
        "labels": {"app": "web", "added-by": "someone"}, "creationTimestamp": "2026-01-01T00:00:00Z",
    },
    "spec": {
        "selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}],
        "clusterIP": "10.96.0.12", "clusterIPs": ["10.96.0.12"], "type": "ClusterIP",
        "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
    },
    "status": {"loadBalancer": {}},
}


def test_server_defaulted_fields_do_not_count_as_differences() -> None:
    assert is_subset(SERVICE_DESIRED, SERVICE_LIVE)


def test_a_changed_value_is_a_difference() -> None:
    desired = {**SERVICE_DESIRED, "spec": {**SERVICE_DESIRED["spec"], "selector": {"app": "other"}}}
    assert differences(desired, SERVICE_LIVE) == ["spec.selector.app"]


def test_a_missing_field_is_a_difference() -> None:
    desired = {**SERVICE_DESIRED, "metadata": {**SERVICE_DESIRED["metadata"], "annotations": {"a": "b"}}}
    assert differences(desired, SERVICE_LIVE) == ["metadata.annotations.a"]


def test_lists_are_compared_element_by_element() -> None:
    desired = {"spec": {"ports": [{"port": 80}, {"port": 443}]}}
    assert not is_subset(desired, {"spec": {"ports": [{"port": 80, "protocol": "TCP"}]}})
    assert not is_subset(desired, {"spec": {"ports": [{"port": 443}, {"port": 80}]}})
    assert is_subset(desired, {"spec": {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "x": 1}]}})


def test_an_extra_element_in_the_live_list_is_a_difference() -> None:
    assert not is_subset({"args": ["a"]}, {"args": ["a", "b"]})


def test_zero_values_equal_an_absent_field() -> None:
    live = {"spec": {"a": 1}}
    assert is_subset({"spec": {"a": 1, "readOnly": False, "value": "", "items": [], "map": {}, "n": 0}}, live)


def test_a_zero_value_differs_from_a_set_one() -> None:
    assert not is_subset({"spec": {"replicas": 0}}, {"spec": {"replicas": 3}})
    assert not is_subset({"spec": {"readOnly": False}}, {"spec": {"readOnly": True}})


def test_int_and_string_ports_differ_because_the_server_keeps_int_or_string_types() -> None:
    assert not is_subset({"targetPort": "8080"}, {"targetPort": 8080})


def test_quantities_compare_by_value_where_the_server_canonicalises_them() -> None:
    desired = {"resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}, "limits": {"cpu": 1}}}
    live = {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1"}}}
    assert is_subset(desired, live)
    assert not is_subset({"resources": {"requests": {"cpu": "2"}}}, live)


def test_a_field_named_like_a_quantity_that_holds_an_object_is_compared_as_usual() -> None:
    desired = {"spec": {"storage": {"volumes": [{"name": "a"}]}}}
    assert is_subset(desired, {"spec": {"storage": {"volumes": [{"name": "a", "defaulted": True}]}}})
    assert not is_subset(desired, {"spec": {"storage": {"volumes": [{"name": "b"}]}}})


def test_quantity_like_strings_elsewhere_compare_as_strings() -> None:
    assert not is_subset({"data": {"size": "1024Mi"}}, {"data": {"size": "1Gi"}})


def test_parse_quantity_understands_binary_and_decimal_suffixes() -> None:
    assert parse_quantity("1Ki") == 1024
    assert parse_quantity("1k") == 1000
    assert parse_quantity("250m") == parse_quantity("0.25")
    assert parse_quantity("not a quantity") is None


def test_owner_references_compare_by_uid_so_other_owners_references_do_not_matter() -> None:
    ours = {"apiVersion": "v1", "kind": "Thing", "name": "a", "uid": "u1", "controller": True}
    other = {"apiVersion": "v1", "kind": "Other", "name": "b", "uid": "u2"}
    assert is_subset({"metadata": {"ownerReferences": [ours]}}, {"metadata": {"ownerReferences": [other, ours]}})
    assert not is_subset({"metadata": {"ownerReferences": [ours]}}, {"metadata": {"ownerReferences": [other]}})


def test_booleans_and_numbers_do_not_match_each_other() -> None:
    assert not is_subset({"a": 1}, {"a": True})


def test_secret_string_data_is_folded_into_data_as_the_server_stores_it() -> None:
    secret = {"kind": "Secret", "data": {"a": "eA=="}, "stringData": {"b": "hello"}}
    normalised = normalise_secret(secret)
    assert "stringData" not in normalised
    assert normalised["data"] == {"a": "eA==", "b": base64.b64encode(b"hello").decode()}
    assert "stringData" in secret  # the input is not changed
