"""What `teamop render` can tell the API server would refuse, in the server's words (the controller test
tests/controllers/test_invalid_spec.py shows the server's own answer for the same node selector)."""

from __future__ import annotations

from typing import Any

import pytest

from teamop.products.refusals import label_key_problem, label_value_problem, qualified_kind, refusal


def deployment(node_selector: dict[str, str] | None = None, image: str = "ghcr.io/rstudio/x:1") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "orbit-connect"},
            "spec": {"template": {"spec": {"nodeSelector": node_selector or {},
                                           "containers": [{"name": "connect", "image": image}]}}}}


def test_a_valid_workload_is_not_refused() -> None:
    assert refusal(deployment({"kubernetes.io/os": "linux", "disk": ""})) is None


def test_a_node_selector_value_that_is_not_a_label_is_refused_naming_the_field() -> None:
    assert refusal(deployment({"disk": "fast ssd"})) == (
        'Deployment.apps "orbit-connect" is invalid: spec.template.spec.nodeSelector: Invalid value: "fast ssd": a '
        "valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
        "and end with an alphanumeric character")


def test_several_causes_are_listed_as_the_server_lists_them() -> None:
    message = refusal(deployment({"disk": "fast ssd"}, image=""))

    assert message is not None
    assert message.startswith('Deployment.apps "orbit-connect" is invalid: [spec.template.spec.containers[0].image: '
                              "Required value, spec.template.spec.nodeSelector: Invalid value: \"fast ssd\"")


@pytest.mark.parametrize(("key", "why"), [
    ("bad key!", "name part must consist of"),
    ("a/b/c", "a valid label key must consist of"),
    ("Example.com/disk", "prefix part a lowercase RFC 1123 subdomain"),
    ("example.com/", "name part must be non-empty"),
    ("x" * 64, "name part must be no more than 63 bytes"),
])
def test_node_selector_keys_are_checked_as_label_keys(key: str, why: str) -> None:
    problem = label_key_problem(key)

    assert problem is not None
    assert problem[0] == key
    assert problem[1].startswith(why)


def test_label_values_are_at_most_63_bytes() -> None:
    assert label_value_problem("x" * 63) is None
    assert label_value_problem("x" * 64) == ("x" * 64, "must be no more than 63 bytes")


def test_objects_without_a_pod_template_and_kinds_are_named_as_the_server_names_them() -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}

    assert refusal(config_map) is None
    assert qualified_kind(config_map) == "ConfigMap"
    assert qualified_kind(deployment()) == "Deployment.apps"


@pytest.mark.parametrize(("toleration", "cause"), [
    ({"key": "gpu", "operator": "Exists", "effect": "Sometimes"},
     'effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'),
    ({"key": "gpu", "operator": "Maybe"}, 'operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"'),
    ({"key": "gpu", "operator": "Exists", "value": "x"},
     "operator: Invalid value: \"x\": value must be empty when `operator` is 'Exists'"),
    ({"operator": "Equal", "value": "x"}, 'operator: Invalid value: "Equal": operator must be Exists when `key` is '
                                          'empty, which means "match all values and all keys"'),
    ({"key": "gpu", "effect": "NoSchedule", "tolerationSeconds": 5},
     "effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"),
])
def test_tolerations_the_server_does_not_understand_are_refused_in_its_words(
    toleration: dict[str, Any], cause: str,
) -> None:
    daemon_set = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "orbit-prepull"},
                  "spec": {"template": {"spec": {"tolerations": [toleration],
                                                 "containers": [{"name": "c", "image": "busybox"}]}}}}

    assert refusal(daemon_set) == (
        f'DaemonSet.apps "orbit-prepull" is invalid: spec.template.spec.tolerations[0].{cause}')


def test_usual_tolerations_are_not_refused() -> None:
    daemon_set = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "orbit-prepull"},
                  "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}], "tolerations": [
                      {"key": "sessions", "operator": "Exists", "effect": "NoSchedule"},
                      {"key": "gpu", "value": "a100"},
                      {"operator": "Exists"},
                      {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "tolerationSeconds": 30}]}}}}

    assert refusal(daemon_set) is None
