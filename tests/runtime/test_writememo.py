"""The write memo: what we wrote stands in for the cache until the cache has seen it — creates included, ended by
any cache event for the key (our own ADD, or someone's DELETE)."""

from __future__ import annotations

from typing import Any

from teamop.runtime.writememo import WriteMemo

KEY = ("ConfigMap", "ns", "a")


def obj(version: str) -> dict[str, Any]:
    return {"metadata": {"name": "a", "namespace": "ns", "resourceVersion": version}}


def test_an_update_stands_in_while_the_cache_shows_the_old_version() -> None:
    memo = WriteMemo()
    memo.remember(KEY, obj("1"), obj("2"))
    assert memo.current(KEY, obj("1")) == obj("2")
    assert memo.current(KEY, obj("3")) == obj("3")
    assert memo.current(KEY, obj("1")) == obj("1")  # the entry ended when the cache moved on


def test_a_create_is_not_remembered_unless_expected() -> None:
    memo = WriteMemo()
    memo.remember(KEY, None, obj("1"))
    assert memo.current(KEY, None) is None


def test_an_expected_create_stands_in_until_the_cache_has_an_event_for_the_key() -> None:
    memo = WriteMemo()
    memo.expect_create(KEY)
    memo.remember(KEY, None, obj("1"))
    assert memo.current(KEY, None) == obj("1")
    memo.observed(KEY)  # e.g. someone deleted it before the cache saw our create: absent is the truth again
    assert memo.current(KEY, None) is None


def test_a_create_whose_event_came_before_the_response_is_not_remembered() -> None:
    memo = WriteMemo()
    memo.expect_create(KEY)
    memo.observed(KEY)  # ADD (and maybe DELETE) arrived while the request was in flight
    memo.remember(KEY, None, obj("1"))
    assert memo.current(KEY, None) is None


def test_the_cache_catching_up_ends_a_create_entry() -> None:
    memo = WriteMemo()
    memo.expect_create(KEY)
    memo.remember(KEY, None, obj("1"))
    assert memo.current(KEY, obj("1")) == obj("1")
    assert memo.current(KEY, None) is None


def test_a_failed_create_forgets_the_expectation() -> None:
    memo = WriteMemo()
    memo.expect_create(KEY)
    memo.forget(KEY)
    memo.remember(KEY, None, obj("1"))
    assert memo.current(KEY, None) is None


def test_entries_expire() -> None:
    memo = WriteMemo(ttl=0.0)
    memo.expect_create(KEY)
    memo.remember(KEY, None, obj("1"))
    assert memo.current(KEY, None) is None


def test_a_write_in_several_requests_stands_in_while_the_cache_shows_any_version_it_went_through() -> None:
    # a takeover read the object again ("2", someone else's change), patched it ("3"), then applied ("4")
    memo = WriteMemo()
    memo.remember(KEY, obj("1"), obj("4"), passed=[obj("2"), obj("3")])
    assert memo.current(KEY, obj("2")) == obj("4")
    assert memo.current(KEY, obj("3")) == obj("4")
    assert memo.current(KEY, obj("1")) == obj("4")
    assert memo.current(KEY, obj("5")) == obj("5")


def test_a_last_request_that_changed_nothing_leaves_the_earlier_requests_version_as_the_written_one() -> None:
    memo = WriteMemo()
    memo.remember(KEY, obj("1"), obj("3"), passed=[obj("3")])  # the apply after the takeover was a no-op
    assert memo.current(KEY, obj("1")) == obj("3")
    assert memo.current(KEY, obj("3")) == obj("3")
