"""What a reconciler is asked (`Request`) and what it answers (`Result`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, order=True)
class Request:
    """The object to reconcile. `namespace` is "" for cluster-scoped objects."""

    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Request:
        metadata = obj["metadata"]
        return cls(metadata.get("namespace") or "", metadata["name"])

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class Result:
    """`requeue_after`: reconcile again after that many seconds (resets the backoff); `requeue`: again with
    backoff. Neither: done until the next event."""

    requeue: bool = False
    requeue_after: float | None = None


class Reconciler(Protocol):
    async def reconcile(self, request: Request) -> Result | None: ...
