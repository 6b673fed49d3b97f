"""The informer's in-memory object store with secondary indexes.

Objects are stored read-only (`frozen`: frozen once when stored, then handed out as they are, with no copy per
read); a reader that wants to change one changes a copy (`copy.deepcopy(obj)`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from teamop.runtime.frozen import freeze
from teamop.runtime.labels import parse_selector

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)
IndexFunc = Callable[[Obj], list[str]]

NAMESPACE_INDEX = "namespace"
OWNER_UID_INDEX = "owner_uid"
LABEL_INDEX_PREFIX = "label:"


def key_of(obj: Obj) -> Key:
    metadata = obj["metadata"]
    return metadata.get("namespace") or "", metadata["name"]


def namespace_index(obj: Obj) -> list[str]:
    namespace = obj["metadata"].get("namespace")
    return [namespace] if namespace else []


def owner_uid_index(obj: Obj) -> list[str]:
    """The uid of the controlling owner (the ownerReference with `controller: true`), if any."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller") and ref.get("uid"):
            return [ref["uid"]]
    return []


def label_index(label_key: str) -> IndexFunc:
    def index(obj: Obj) -> list[str]:
        labels = obj["metadata"].get("labels")
        return [labels[label_key]] if labels and label_key in labels else []

    return index


class Store:
    def __init__(self) -> None:
        self._objects: dict[Key, Obj] = {}
        self._index_funcs: dict[str, IndexFunc] = {}
        self._indexes: dict[str, dict[str, set[Key]]] = {}
        self.add_index(NAMESPACE_INDEX, namespace_index)
        self.add_index(OWNER_UID_INDEX, owner_uid_index)

    def __len__(self) -> int:
        return len(self._objects)

    def add_index(self, name: str, func: IndexFunc) -> None:
        """Add (or replace) an index and build it from the objects already stored."""
        self._index_funcs[name] = func
        index: dict[str, set[Key]] = {}
        for key, obj in self._objects.items():
            for value in func(obj):
                index.setdefault(value, set()).add(key)
        self._indexes[name] = index

    def has_index(self, name: str) -> bool:
        return name in self._index_funcs

    def add_label_index(self, label_key: str) -> str:
        name = LABEL_INDEX_PREFIX + label_key
        if name not in self._index_funcs:
            self.add_index(name, label_index(label_key))
        return name

    # -- writes (the informer only) -------------------------------------------------------------------------------

    def put(self, obj: Obj) -> Obj | None:
        """Store `obj` (made read-only unless it is already), returning the object it replaced."""
        obj = freeze(obj)
        key = key_of(obj)
        old = self._objects.get(key)
        self._objects[key] = obj
        for name, func in self._index_funcs.items():
            old_values = func(old) if old is not None else []
            new_values = func(obj)
            if old_values == new_values:
                continue
            index = self._indexes[name]
            for value in old_values:
                self._unindex(index, value, key)
            for value in new_values:
                index.setdefault(value, set()).add(key)
        return old

    def remove(self, key: Key) -> Obj | None:
        old = self._objects.pop(key, None)
        if old is not None:
            for name, func in self._index_funcs.items():
                index = self._indexes[name]
                for value in func(old):
                    self._unindex(index, value, key)
        return old

    @staticmethod
    def _unindex(index: dict[str, set[Key]], value: str, key: Key) -> None:
        keys = index.get(value)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del index[value]

    # -- reads ---------------------------------------------------------------------------------------------------

    def get(self, name: str, namespace: str | None = None) -> Obj | None:
        return self._objects.get((namespace or "", name))

    def get_by_key(self, key: Key) -> Obj | None:
        return self._objects.get(key)

    def keys(self, namespace: str | None = None) -> set[Key]:
        if namespace is None:
            return set(self._objects)
        return set(self._indexes[NAMESPACE_INDEX].get(namespace, ()))

    def by_index(self, name: str, value: str) -> list[Obj]:
        """Objects whose index `name` has `value`. Names `label:<key>` create a label index on first use."""
        if name not in self._indexes:
            if not name.startswith(LABEL_INDEX_PREFIX):
                raise KeyError(f"no index named {name!r}")
            self.add_label_index(name[len(LABEL_INDEX_PREFIX):])
        return [self._objects[key] for key in self._indexes[name].get(value, ())]

    def list(self, namespace: str | None = None, label_selector: str | None = None) -> list[Obj]:
        candidates: Iterable[Key] | None = None
        if namespace:
            candidates = self._indexes[NAMESPACE_INDEX].get(namespace, set())
        selector = parse_selector(label_selector)
        # Narrow by an existing label index when the selector has a key=value term.
        for label_key, value in selector.equality_terms().items():
            index = self._indexes.get(LABEL_INDEX_PREFIX + label_key)
            if index is not None:
                keys = index.get(value, set())
                candidates = keys if candidates is None else keys & set(candidates)
                break
        objects: Iterable[Obj] = (
            self._objects.values() if candidates is None else (self._objects[k] for k in candidates)
        )
        if not selector.requirements:
            return list(objects)
        return [obj for obj in objects if selector.matches(obj["metadata"].get("labels"))]
