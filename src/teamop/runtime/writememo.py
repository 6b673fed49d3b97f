"""What we just wrote, for the moment until the informer cache has seen it.

Right after a write the cache still holds the object as it was before; a reconcile that runs in that moment would
see a difference and write the same thing again. A memo entry remembers the resourceVersion the cache held *before*
the write and the object the write returned. It is used only while the cache still shows that old version: as soon
as the cache moves on (our own write arriving, or anyone else's), the cache is the truth again. resourceVersions
are compared for equality only, as the API contract requires.

Creates need more: an absent object has no version, and "still absent" cannot be told from "created, then deleted
before the cache saw either". So a create is remembered only when the memo is told of the cache's events
(`observed`, wired by the owner of the memo to the informer of the kind): `expect_create(key)` before the request
is sent, and from then on any event for the key — our own ADD, or a DELETE by someone else — ends the entry. Until
that event (or the TTL), a reconcile that finds the object absent in the cache sees what the create returned and
does not create it again. (This is the race that made a reconcile triggered by one child's event re-create a
sibling whose own event was still on its way: on a loaded machine ~1 in 4 owners of the widget benchmark.)
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

_MAX_ENTRIES = 20000
_TTL_SECONDS = 60.0


def resource_version(obj: Mapping[str, Any] | None) -> str | None:
    if obj is None:
        return None
    version = (obj.get("metadata") or {}).get("resourceVersion")
    return str(version) if version else None


class WriteMemo:
    def __init__(self, max_entries: int = _MAX_ENTRIES, ttl: float = _TTL_SECONDS) -> None:
        # key -> (resourceVersion the cache held before the write, or None for a create; written object; when)
        self._entries: OrderedDict[Hashable, tuple[str | None, Mapping[str, Any], float]] = OrderedDict()
        self._expected: set[Hashable] = set()  # creates in flight whose key has had no cache event since
        self._max_entries = max_entries
        self._ttl = ttl

    def expect_create(self, key: Hashable) -> None:
        """A create of `key` is about to be sent, and the memo is told of the cache's events for `key`."""
        self._entries.pop(key, None)
        self._expected.add(key)

    def observed(self, key: Hashable) -> None:
        """The cache has had an event for `key` (added, updated or deleted): from now on it is the truth."""
        self._expected.discard(key)
        self._entries.pop(key, None)

    def remember(self, key: Hashable, cached_before: Mapping[str, Any] | None, written: Mapping[str, Any]) -> None:
        """Record a write of an object the cache held as `cached_before`. A create (`cached_before` None) is
        recorded only after `expect_create(key)` and while no event for the key has arrived since."""
        before = resource_version(cached_before)
        if before is None:
            if key in self._expected:
                self._expected.discard(key)
                self._store(key, None, written)
            else:
                self._entries.pop(key, None)
            return
        if resource_version(written) == before:
            self._entries.pop(key, None)
            return
        self._store(key, before, written)

    def _store(self, key: Hashable, before: str | None, written: Mapping[str, Any]) -> None:
        self._entries[key] = (before, written, time.monotonic())
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def current(self, key: Hashable, cached: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """The freshest known state: our written object while the cache still lags behind it, else `cached`."""
        entry = self._entries.get(key)
        if entry is None:
            return cached
        before, written, at = entry
        if resource_version(cached) == before and time.monotonic() - at < self._ttl:
            return written
        del self._entries[key]
        return cached

    def forget(self, key: Hashable) -> None:
        self._expected.discard(key)
        self._entries.pop(key, None)
