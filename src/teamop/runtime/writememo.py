"""What we just wrote, for the moment until the informer cache has seen it.

Right after a write the cache still holds the object as it was before; a reconcile that runs in that moment would
see a difference and write the same thing again. A memo entry remembers the resourceVersion the cache held *before*
the write and the object the write returned. It is used only while the cache still shows that old version: as soon
as the cache moves on (our own write arriving, or anyone else's), the cache is the truth again. resourceVersions
are compared for equality only, as the API contract requires.
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
        self._entries: OrderedDict[Hashable, tuple[str, Mapping[str, Any], float]] = OrderedDict()
        self._max_entries = max_entries
        self._ttl = ttl

    def remember(self, key: Hashable, cached_before: Mapping[str, Any] | None, written: Mapping[str, Any]) -> None:
        """Record a write of an object the cache held as `cached_before` (creates are not memoised: an absent
        object can be absent again after a delete, and absence has no version to tell the two apart)."""
        before = resource_version(cached_before)
        if before is None or resource_version(written) == before:
            self._entries.pop(key, None)
            return
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
        self._entries.pop(key, None)
