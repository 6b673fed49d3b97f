"""Event filters: which informer events are worth a reconcile."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Obj = Mapping[str, Any]

# The metadata whose change means the object's meaning changed (besides its generation, which counts spec).
_SIGNIFICANT_METADATA = ("generation", "labels", "annotations", "deletionTimestamp", "finalizers")


class Predicate:
    """Lets every event through; subclasses narrow it."""

    def create(self, obj: Obj) -> bool:
        return True

    def update(self, old: Obj, new: Obj) -> bool:
        return True

    def delete(self, obj: Obj) -> bool:
        return True


class GenerationChanged(Predicate):
    """Updates pass only when the spec (generation), labels, annotations, finalizers or deletionTimestamp changed:
    status-only writes — including our own — and resourceVersion/managedFields churn do not trigger work."""

    def update(self, old: Obj, new: Obj) -> bool:
        old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
        return any(old_meta.get(field) != new_meta.get(field) for field in _SIGNIFICANT_METADATA)


class ResourceVersionChanged(Predicate):
    """Every real change passes; replays of the same version do not."""

    def update(self, old: Obj, new: Obj) -> bool:
        return bool((old.get("metadata") or {}).get("resourceVersion") != (new.get("metadata") or {}).get(
            "resourceVersion"
        ))


class LabelSelected(Predicate):
    """Objects whose labels `matches` accepts (on update: before or after)."""

    def __init__(self, matches: Callable[[Mapping[str, str]], bool]) -> None:
        self.matches = matches

    def _labels(self, obj: Obj) -> Mapping[str, str]:
        return (obj.get("metadata") or {}).get("labels") or {}

    def create(self, obj: Obj) -> bool:
        return self.matches(self._labels(obj))

    def update(self, old: Obj, new: Obj) -> bool:
        return self.matches(self._labels(old)) or self.matches(self._labels(new))

    def delete(self, obj: Obj) -> bool:
        return self.matches(self._labels(obj))


def allows_create(predicates: Sequence[Predicate], obj: Obj) -> bool:
    return all(p.create(obj) for p in predicates)


def allows_update(predicates: Sequence[Predicate], old: Obj, new: Obj) -> bool:
    return all(p.update(old, new) for p in predicates)


def allows_delete(predicates: Sequence[Predicate], obj: Obj) -> bool:
    return all(p.delete(obj) for p in predicates)
