"""Field-level differences between a live object and what it would become, with paths a user can read."""

from __future__ import annotations

import base64
from typing import Any

from teamop.diff.fields import ABSENT, GENERATED, REDACTED, FieldChange, object_changes, path_text, secret_changes


def deployment(replicas: int = 1, env: list[dict[str, Any]] | None = None, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "orbit-connect", "namespace": "posit-team", "labels": labels,
                     "resourceVersion": "7", "generation": 2, "uid": "u-1",
                     "managedFields": [{"manager": "team-operator", "operation": "Apply"}]},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [
            {"name": "connect", "image": "connect:1", "env": env or [{"name": "LOG_LEVEL", "value": "info"}]},
            {"name": "agent", "image": "agent:1"},
        ]}}},
        "status": {"replicas": replicas},
    }


def test_the_same_object_has_no_changes() -> None:
    assert object_changes(deployment(), deployment()) == []


def test_status_and_the_metadata_the_server_sets_are_not_changes() -> None:
    after = deployment()
    after["metadata"].update(resourceVersion="8", generation=3, managedFields=[])
    after["status"] = {"replicas": 5}

    assert object_changes(deployment(), after) == []


def test_a_changed_scalar_names_its_path_with_old_and_new_values() -> None:
    assert object_changes(deployment(replicas=3), deployment(replicas=1)) == [
        FieldChange("spec.replicas", 3, 1)]


def test_list_elements_are_named_by_their_name_field() -> None:
    before = deployment(env=[{"name": "LOG_LEVEL", "value": "debug"}, {"name": "EXTRA", "value": "1"}])

    changes = object_changes(before, deployment())

    assert changes == [
        FieldChange("spec.template.spec.containers[name=connect].env[name=LOG_LEVEL].value", "debug", "info"),
        FieldChange("spec.template.spec.containers[name=connect].env[name=EXTRA]", {"name": "EXTRA", "value": "1"},
                    ABSENT),
    ]
    assert changes[1].removed
    assert not changes[1].added


def test_label_keys_with_dots_and_slashes_are_quoted() -> None:
    changes = object_changes(deployment(**{"posit.team/component": "x"}),
                             deployment(**{"posit.team/component": "connect", "app": "y"}))

    assert [c.path for c in changes] == ['metadata.labels["posit.team/component"]', "metadata.labels.app"]
    assert changes[1].added


def test_elements_without_a_distinct_name_field_are_named_by_position() -> None:
    before = {"spec": {"rules": [{"host": "a", "http": {}}, {"host": "b"}]}}
    after = {"spec": {"rules": [{"host": "a", "http": {}}, {"host": "c"}]}}

    assert object_changes(before, after) == [FieldChange("spec.rules[1].host", "b", "c")]


def test_lists_of_values_change_as_a_whole() -> None:
    assert object_changes({"args": ["a", "b"]}, {"args": ["a"]}) == [FieldChange("args", ["a", "b"], ["a"])]


def test_a_value_of_another_type_is_a_change() -> None:
    assert object_changes({"port": 8080}, {"port": "8080"}) == [FieldChange("port", 8080, "8080")]


def test_path_text_quotes_values_that_would_end_the_brackets() -> None:
    assert path_text(("spec", ("name", "a]b"), 0)) == 'spec[name="a]b"][0]'


def secret(name: str, **values: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}}


def test_secret_changes_name_the_keys_and_never_hold_a_value() -> None:
    before = secret("orbit", kept="same-value", changed="old-value", dropped="gone-value")
    after = secret("orbit", kept="same-value", changed="new-value", added="fresh-value")

    changes = secret_changes(before, after, generated=False)

    assert changes == [FieldChange("data.changed", REDACTED, REDACTED), FieldChange("data.added", new=REDACTED),
                       FieldChange("data.dropped", old=REDACTED)]
    assert "value" not in repr(changes)


def test_keys_teamop_generates_show_as_generated() -> None:
    changes = secret_changes(secret("orbit-connect-generated"), secret("orbit-connect-generated", key="k" * 64),
                             generated=True)

    assert changes == [FieldChange("data.key", new=GENERATED)]


def test_secret_fields_other_than_values_are_compared_as_fields() -> None:
    before = secret("orbit", key="v")
    after = {**secret("orbit", key="v"), "metadata": {"name": "orbit", "labels": {"a": "b"}}}

    assert secret_changes(before, after, generated=False) == [FieldChange("metadata.labels", ABSENT, {"a": "b"})]


def test_secret_fields_of_other_objects_are_compared_but_never_shown() -> None:
    before = {"spec": {"auth": {"clientSecret": "old-client-secret"}, "license": {"key": "old-licence-key"}}}
    after = {"spec": {"auth": {"clientSecret": "new-client-secret"}, "license": {"key": "new-licence-key"},
                      "smtp": {"user": "mail", "password": "mail-password"}}}

    changes = object_changes(before, after)

    assert changes == [FieldChange("spec.auth.clientSecret", REDACTED, REDACTED),
                       FieldChange("spec.license.key", REDACTED, REDACTED),
                       FieldChange("spec.smtp", ABSENT, {"user": "mail", "password": REDACTED})]
