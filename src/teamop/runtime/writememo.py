"""What we just wrote, for the moment until the informer cache has seen it.

Right after a write the cache still holds the object as it was before; a reconcile that runs in that moment would
see a difference and write the same thing again. A memo entry remembers the resourceVersion the cache held *before*
the write and the object the write returned. It is used only while the cache still shows that old version: as soon
as the cache moves on (our own write arriving, or anyone else's), the cache is the truth again. resourceVersions
are compared for equality only, as the API contract requires. A write made in several requests (a takeover patch, then
the apply) passes through versions of its own: while the cache shows one of those, the final object is still ours.

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
from collections.abc import Hashable, Iterable, Mapping
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
        # key -> (resourceVersions older than the write — none for a create; written object; when)
        self._entries: OrderedDict[Hashable, tuple[frozenset[str], Mapping[str, Any], float]] = OrderedDict()
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

    def remember(
        self,
        key: Hashable,
        cached_before: Mapping[str, Any] | None,
        written: Mapping[str, Any],
        *,
        passed: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Record a write of an object the cache held as `cached_before`. A create (`cached_before` None) is
        recorded only after `expect_create(key)` and while no event for the key has arrived since. `passed`: the
        versions the same write went through before (read or returned by its earlier requests)."""
        before = resource_version(cached_before)
        if before is None:
            if key in self._expected:
                self._expected.discard(key)
                self._store(key, frozenset(), written)
            else:
                self._entries.pop(key, None)
            return
        if resource_version(written) == before:
            self._entries.pop(key, None)
            return
        # the last request may have changed nothing: then the version the earlier one made is the written one
        versions = (before, *(resource_version(obj) for obj in passed))
        older = frozenset(v for v in versions if v and v != resource_version(written))
        self._store(key, older, written)

    def _store(self, key: Hashable, older: frozenset[str], written: Mapping[str, Any]) -> None:
        self._entries[key] = (older, written, time.monotonic())
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def current(self, key: Hashable, cached: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """The freshest known state: our written object while the cache still lags behind it, else `cached`."""
        entry = self._entries.get(key)
        if entry is None:
            return cached
        older, written, at = entry
        version = resource_version(cached)
        if (version in older if older else version is None) and time.monotonic() - at < self._ttl:
            return written
        del self._entries[key]
        return cached

    def forget(self, key: Hashable) -> None:
        self._expected.discard(key)
        self._entries.pop(key, None)
