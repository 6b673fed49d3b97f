"""Which fields taking an object over from a predecessor's field manager removes: the predecessor's (Update)
fields the desired object does not set, unless another manager owns them too; never finalizers."""

from __future__ import annotations

from typing import Any

from teamop.diff.fields import ABSENT, FieldChange
from teamop.diff.takeover import readable, takeover, value_at, with_owners, without_fields

ENV = "k:{\"name\":\"FROM_GO\"}"
CONTAINER = "k:{\"name\":\"connect\"}"


def entry(manager: str, operation: str, fields: dict[str, Any], subresource: str = "") -> dict[str, Any]:
    return {"manager": manager, "operation": operation, "fieldsType": "FieldsV1", "fieldsV1": fields,
            **({"subresource": subresource} if subresource else {})}


def live(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "orbit-connect", "annotations": {"legacy": "yes", "revision": "2"},
                     "finalizers": ["posit-team.posit.co"], "managedFields": list(entries)},
        "spec": {"template": {"spec": {"containers": [{"name": "connect", "image": "connect:1", "env": [
            {"name": "FROM_GO", "value": "1"}]}]}}},
    }


DESIRED = {"metadata": {"name": "orbit-connect"},
           "spec": {"template": {"spec": {"containers": [{"name": "connect", "image": "connect:1"}]}}}}
FINALIZERS = {".": {}, "v:\"posit-team.posit.co\"": {}}
GO_FIELDS = {
    "f:metadata": {"f:annotations": {".": {}, "f:legacy": {}}, "f:finalizers": FINALIZERS},
    "f:spec": {"f:template": {"f:spec": {"f:containers": {CONTAINER: {
        ".": {}, "f:name": {}, "f:image": {}, "f:env": {".": {}, ENV: {".": {}, "f:name": {}, "f:value": {}}}}}}}},
}
REVISION = {"f:metadata": {"f:annotations": {".": {}, "f:revision": {}}}}


def test_fields_the_predecessor_set_and_teamop_does_not_render_are_removed() -> None:
    found = takeover(live(entry("team-operator", "Update", GO_FIELDS)), DESIRED, ["team-operator"], "team-operator")

    assert found.managers == ("team-operator",)
    assert [readable(path) for path in found.removed] == [
        "metadata.annotations", "spec.template.spec.containers[name=connect].env"]


def test_a_field_another_manager_also_owns_stays_and_only_the_predecessors_part_of_it_goes() -> None:
    obj = live(entry("team-operator", "Update", GO_FIELDS),
               entry("kube-controller-manager", "Update", REVISION, subresource="status"))

    found = takeover(obj, DESIRED, ["team-operator"], "team-operator")

    assert [readable(path) for path in found.removed] == [
        "metadata.annotations.legacy", "spec.template.spec.containers[name=connect].env"]


def test_teamops_own_apply_entry_is_not_a_predecessor() -> None:
    found = takeover(live(entry("team-operator", "Apply", GO_FIELDS)), DESIRED, ["team-operator"], "team-operator")

    assert not found
    assert found.removed == ()


def test_only_managers_named_are_taken_over() -> None:
    found = takeover(live(entry("kubectl-edit", "Update", GO_FIELDS)), DESIRED, ["team-operator"], "team-operator")

    assert not found


def test_finalizers_are_never_taken_over() -> None:
    only_finalizers = {"f:metadata": {"f:finalizers": FINALIZERS}}

    found = takeover(live(entry("team-operator", "Update", only_finalizers)), DESIRED, ["team-operator"],
                     "team-operator")

    assert not found


def test_changes_at_or_below_a_removed_field_say_who_owned_it() -> None:
    obj = live(entry("go", "Update", GO_FIELDS), entry("kube-controller-manager", "Update", REVISION, "status"))
    changes = [FieldChange("metadata.annotations.legacy", old="yes"),
               FieldChange("spec.template.spec.containers[name=connect].env[name=FROM_GO]", old={"name": "FROM_GO"}),
               FieldChange("spec.template.spec.containers[name=connect].image", "connect:1", "connect:2")]

    noted = with_owners(changes, takeover(obj, DESIRED, ["go"], "team-operator"))

    assert [change.note for change in noted] == ["owned by go", "owned by go", ""]


def test_the_object_after_the_takeover_lacks_the_removed_fields() -> None:
    obj = live(entry("go", "Update", GO_FIELDS), entry("kube-controller-manager", "Update", REVISION, "status"))

    after = without_fields(obj, takeover(obj, DESIRED, ["go"], "team-operator").removed)

    assert after["metadata"]["annotations"] == {"revision": "2"}
    assert after["spec"]["template"]["spec"]["containers"] == [{"name": "connect", "image": "connect:1"}]
    assert obj["metadata"]["annotations"]["legacy"] == "yes"  # the live object itself is left as it is


def test_values_are_found_by_field_key_and_set_element() -> None:
    obj = live()

    assert value_at(obj, ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:env", ENV, "f:value")) == "1"
    assert value_at(obj, ("f:metadata", "f:finalizers", "v:\"posit-team.posit.co\"")) == "posit-team.posit.co"
    assert value_at(obj, ("f:metadata", "f:labels")) is ABSENT
