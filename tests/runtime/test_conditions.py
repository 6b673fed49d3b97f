"""Conditions follow metav1.Condition: one per type, lastTransitionTime moves only when status flips."""

from __future__ import annotations

from teamop.runtime.conditions import Conditions, find_condition, is_true, remove_condition, set_condition


def test_a_new_condition_gets_a_transition_time_and_the_generation() -> None:
    conditions = set_condition([], "Ready", True, "Deployed", "all good", observed_generation=3, now="T1")
    assert conditions == [
        {"type": "Ready", "status": "True", "reason": "Deployed", "message": "all good",
         "lastTransitionTime": "T1", "observedGeneration": 3}
    ]


def test_the_transition_time_stays_when_only_reason_or_message_change() -> None:
    first = set_condition([], "Ready", False, "Waiting", "a", now="T1")
    second = set_condition(first, "Ready", False, "StillWaiting", "b", now="T2")
    assert second[0]["lastTransitionTime"] == "T1"
    assert (second[0]["reason"], second[0]["message"]) == ("StillWaiting", "b")


def test_the_transition_time_moves_when_the_status_flips() -> None:
    first = set_condition([], "Ready", False, "Waiting", now="T1")
    second = set_condition(first, "Ready", True, "Deployed", now="T2")
    assert second[0]["lastTransitionTime"] == "T2"


def test_setting_a_condition_does_not_change_the_given_list() -> None:
    original = [{"type": "Ready", "status": "False", "reason": "x", "message": "", "lastTransitionTime": "T1"}]
    set_condition(original, "Ready", True, "y", now="T2")
    assert original[0]["status"] == "False"


def test_other_conditions_keep_their_order() -> None:
    conditions = set_condition([], "A", True, "r", now="T")
    conditions = set_condition(conditions, "B", True, "r", now="T")
    conditions = set_condition(conditions, "A", False, "r", now="T")
    assert [c["type"] for c in conditions] == ["A", "B"]


def test_find_and_is_true() -> None:
    conditions = set_condition([], "Ready", "Unknown", "Starting", now="T")
    assert find_condition(conditions, "Ready") is not None
    assert find_condition(conditions, "Other") is None
    assert not is_true(conditions, "Ready")
    assert is_true(set_condition(conditions, "Ready", True, "Up"), "Ready")


def test_remove_condition() -> None:
    conditions = set_condition([], "Ready", True, "Up", now="T")
    assert remove_condition(conditions, "Ready") == []


def test_the_builder_stamps_the_objects_generation() -> None:
    obj = {"metadata": {"generation": 7}, "status": {"conditions": []}}
    built = Conditions.of(obj).set("Ready", True, "Up").set("Degraded", False, "Fine")
    assert [c["observedGeneration"] for c in built.items] == [7, 7]
    assert built.is_true("Ready")


def test_an_unchanged_condition_set_again_is_equal_so_status_is_not_rewritten() -> None:
    first = set_condition([], "Ready", True, "Up", "m", observed_generation=1, now="T1")
    again = set_condition(first, "Ready", True, "Up", "m", observed_generation=1, now="T2")
    assert again == first
