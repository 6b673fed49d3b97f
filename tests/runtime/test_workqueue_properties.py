"""Property test: whatever workers do, the queue's invariants hold and no added key is lost."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teamop.runtime.workqueue import WorkQueue

keys = st.sampled_from("abcde")
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), keys),
        st.tuples(st.just("get"), st.just("")),
        st.tuples(st.just("done"), st.just("")),
    ),
    max_size=60,
)


async def _run(ops: list[tuple[str, str]]) -> None:
    queue: WorkQueue[str] = WorkQueue()
    in_hand: list[str] = []
    added_since_taken: set[str] = set()
    for op, key in ops:
        if op == "add":
            queue.add(key)
            added_since_taken.add(key)
        elif op == "get" and len(queue):
            item = await queue.get()
            assert item not in in_hand, "a key was handed out while already being processed"
            in_hand.append(item)
            added_since_taken.discard(item)
        elif op == "done" and in_hand:
            queue.done(in_hand.pop(0))
        # Invariant: every queued key is queued once.
        assert len(queue._queue) == len(set(queue._queue))
        # Invariant: a queued key is not being processed.
        assert not set(queue._queue) & set(in_hand)
    # Finish everything: every key added after it was last taken must come out again.
    for item in in_hand:
        queue.done(item)
    drained = set()
    while len(queue):
        item = await queue.get()
        drained.add(item)
        queue.done(item)
    assert drained == added_since_taken


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(operations)
def test_queue_invariants_hold_for_any_sequence_of_operations(ops: list[tuple[str, str]]) -> None:
    asyncio.run(_run(ops))
