"""What the informers keep of each object (client-go's cache transform): only what teamop reads.

`metadata.managedFields` is often the largest part of an object, one entry per field manager that ever wrote it;
`kubectl.kubernetes.io/last-applied-configuration` repeats a `kubectl apply`'d object whole. teamop reads neither
for most managers:

- objects teamop applies (`applied_objects`) keep our own manager's Apply entries (main and status subresources:
  the skip decision and the status writer read them) and, per subresource, one entry `OTHERS` holding the union
  of every other manager's fields (the skip decision asks whether anyone else owns a field, never who); while a
  previous operator still owns fields on the object (an Update entry of a take-over field manager, `takeover`),
  every entry as it is: the takeover rewrites the whole `managedFields` list in one patch, so it must see each
  manager's entry. Once taken over, the object is kept slim.
- objects teamop only reads (`read_only_objects`: Pods, Events, ...) keep no managedFields at all;
- `only_metadata` keeps the name, namespace and resourceVersion (what a change notification needs).

The annotation `kubectl.kubernetes.io/last-applied-configuration` is dropped from every object. A transform never
changes its argument: it returns a new top-level object (sharing what it keeps unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from teamop.runtime.fieldset import APPLY_OPERATION, union
from teamop.runtime.takeover import has_fields_to_take_over

Obj = dict[str, Any]
Transform = Callable[[Obj], Obj]

LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
OTHERS = "teamop-cache:other-managers"
"""The manager name of the cache's merged entry of other managers' fields (never written to the server)."""
_TAKEN_OVER_SUBRESOURCES = ("", "status")


def _with_metadata(obj: Obj, metadata: Mapping[str, Any]) -> Obj:
    return {**obj, "metadata": metadata}


def _slim_metadata(metadata: Mapping[str, Any], managed_fields: list[Any] | None) -> dict[str, Any]:
    """`metadata` without the last-applied annotation, with `managed_fields` (None: without managedFields)."""
    slim = {key: value for key, value in metadata.items() if key != "managedFields"}
    annotations = metadata.get("annotations")
    if annotations and LAST_APPLIED_ANNOTATION in annotations:
        rest = {key: value for key, value in annotations.items() if key != LAST_APPLIED_ANNOTATION}
        if rest:
            slim["annotations"] = rest
        else:
            del slim["annotations"]
    if managed_fields:
        slim["managedFields"] = managed_fields
    return slim


def read_only_objects(obj: Obj) -> Obj:
    """For kinds teamop never writes: no managedFields, no last-applied annotation."""
    metadata = obj.get("metadata") or {}
    return _with_metadata(obj, _slim_metadata(metadata, None))


def applied_objects(field_manager: str, take_over_managers: Collection[str]) -> Transform:
    """For kinds teamop applies: our Apply entries only, or every entry while a takeover is due."""
    managers = tuple(take_over_managers)

    def transform(obj: Obj) -> Obj:
        metadata = obj.get("metadata") or {}
        entries = metadata.get("managedFields") or []
        if any(has_fields_to_take_over(obj, managers, subresource) for subresource in _TAKEN_OVER_SUBRESOURCES):
            kept = list(entries)
        else:
            kept = _ours_and_others_merged(entries, field_manager)
        return _with_metadata(obj, _slim_metadata(metadata, kept))

    return transform


def _ours_and_others_merged(entries: list[Any], field_manager: str) -> list[Any]:
    ours: list[Any] = []
    others: dict[str, list[Any]] = {}  # subresource -> other managers' field sets
    for entry in entries:
        if entry.get("manager") == field_manager and entry.get("operation") == APPLY_OPERATION:
            ours.append(entry)
        elif entry.get("fieldsType", "FieldsV1") == "FieldsV1" and isinstance(entry.get("fieldsV1"), Mapping):
            others.setdefault(entry.get("subresource", ""), []).append(entry["fieldsV1"])
    merged = [{"manager": OTHERS, "operation": "Update", "fieldsType": "FieldsV1",
               "fieldsV1": fields[0] if len(fields) == 1 else union(*fields),
               **({"subresource": subresource} if subresource else {})}
              for subresource, fields in others.items()]
    return ours + merged


def only_metadata(obj: Obj) -> Obj:
    """Name, namespace and resourceVersion: enough to tell that an object exists and when it changed."""
    metadata = obj.get("metadata") or {}
    return {"metadata": {key: metadata[key] for key in ("name", "namespace", "resourceVersion") if key in metadata}}


def status_only(obj: Obj) -> Obj:
    """Metadata (as `read_only_objects`) and status: for objects whose spec teamop never reads (Pods)."""
    slim = read_only_objects(obj)
    return {key: slim[key] for key in ("apiVersion", "kind", "metadata", "status") if key in slim}
