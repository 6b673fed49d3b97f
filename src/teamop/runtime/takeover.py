"""Take over the fields a previous operator owns, so that our next apply removes the ones we do not set.

A controller that wrote with Update (create, update, patch) leaves `managedFields` entries of operation Update
under its field manager. Server-side apply only removes fields that the applying manager owned before, so those
fields would stay forever: the object would be a mix of both operators' specs. The standard upgrade (client-go's
`csaupgrade`) moves the predecessor's field sets into our Apply entry for the same subresource (created from the
predecessor's entry when we have none yet) and removes the predecessor's entries, in one JSON patch of
`metadata.managedFields`. The apply that follows then removes every field the predecessor set that we do not
render, and leaves alone what other managers own (a user's `kubectl annotate`, the cluster's controllers).

The predecessor is told apart from us by the operation: we write objects with Apply. Its entries are those of
operation Update whose manager is in the list we are given (by default our own manager's name, which is the name
the predecessor used).

Not taken over: `metadata.finalizers`. Finalizers are added and removed by patch (`finalizers.py`), under the same
manager name, by us and by our predecessor alike — often the very finalizer we use ourselves. Taken into our Apply
entry, they would be removed by the next apply (which never renders finalizers) while the controller that owns them
still needs them, and it would add them back, to be taken over and removed again. So the predecessor's entry keeps
its finalizers (and nothing else), which makes it look exactly like the entry our own finalizer patches leave, and
no field manager of ours needs changing: objects written by an earlier teamop need no special case either. Our
other writes that are not applies — Events and the leader-election Lease — are never on objects we apply or whose
status we write, so nothing else needs leaving out.

Once per object: after the takeover the predecessor owns nothing but finalizers, so the check (`has_fields_to_take
_over`, a walk over the object's managedFields) finds nothing and costs no request.

The patch replaces `metadata.resourceVersion` with the version read, as csaupgrade does: if the object changed
since, the server refuses it with 409 Conflict (a `test` operation would fail as 422 Invalid instead). The object
is then read again and the takeover computed anew, a few times: objects that others write often (a Deployment's
status, updated by its controller) would otherwise fail every time the cache is a little behind.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import structlog

from teamop.runtime.client import Client
from teamop.runtime.errors import Conflict
from teamop.runtime.fieldset import APPLY_OPERATION, Path, owns_anything, split, union
from teamop.runtime.kinds import gvk_of
from teamop.runtime.ownership import describe

log = structlog.get_logger(__name__)

UPDATE_OPERATION = "Update"
ATTEMPTS = 5
NOT_TAKEN_OVER: tuple[Path, ...] = (("f:metadata", "f:finalizers"),)
"""Fields left with the predecessor (see the module's docstring)."""


def is_predecessor(entry: Mapping[str, Any], managers: Collection[str], subresource: str = "") -> bool:
    """Whether a managedFields entry is one of the predecessor's Update entries on `subresource`."""
    return (
        entry.get("manager") in managers
        and entry.get("operation") == UPDATE_OPERATION
        and entry.get("subresource", "") == subresource
        and entry.get("fieldsType", "FieldsV1") == "FieldsV1"
        and isinstance(entry.get("fieldsV1"), Mapping)
    )


def _entries(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def predecessor_fields(obj: Mapping[str, Any], managers: Collection[str], subresource: str = "") -> dict[str, Any]:
    """The fields the predecessor owns on `obj` that a takeover gives us (finalizers left out)."""
    return union(*(split(entry["fieldsV1"], NOT_TAKEN_OVER)[0]
                   for entry in _entries(obj) if is_predecessor(entry, managers, subresource)))


def has_fields_to_take_over(obj: Mapping[str, Any], managers: Collection[str], subresource: str = "") -> bool:
    return bool(managers) and owns_anything(predecessor_fields(obj, managers, subresource))


def taken_over(
    obj: Mapping[str, Any], managers: Collection[str], field_manager: str, subresource: str = ""
) -> list[dict[str, Any]] | None:
    """`obj`'s managedFields after the takeover, or None when there is nothing to take over.

    The predecessor's fields are merged into our Apply entry for `subresource`; without one, the predecessor's
    first entry becomes it. Entries of every API version are merged: the kinds an operator controls have the same
    field paths in each version they are written in (csaupgrade merges only the entry of our entry's version and
    drops the others' fields — they would then be owned by nobody and never removed).
    """
    if not has_fields_to_take_over(obj, managers, subresource):
        return None
    entries = [dict(entry) for entry in _entries(obj)]
    ours = next((entry for entry in entries if entry.get("manager") == field_manager
                 and entry.get("operation") == APPLY_OPERATION and entry.get("subresource", "") == subresource), None)
    result: list[dict[str, Any]] = []
    for entry in entries:
        if not is_predecessor(entry, managers, subresource):
            result.append(entry)
            continue
        given, kept = split(entry["fieldsV1"], NOT_TAKEN_OVER)
        if ours is None:
            ours = {**entry, "manager": field_manager, "operation": APPLY_OPERATION, "fieldsV1": {}}
            result.append(ours)
        ours["fieldsV1"] = union(ours.get("fieldsV1") or {}, given)
        if owns_anything(kept):
            result.append({**entry, "fieldsV1": kept})
    return result


async def take_over(
    client: Client, obj: Mapping[str, Any], managers: Collection[str], field_manager: str, subresource: str = ""
) -> list[Mapping[str, Any]]:
    """Move the predecessor's fields on `obj` (as read, with its resourceVersion) to our Apply entry. Returns the
    versions of the object the takeover went through — each read again after a conflict, then what the patch
    returned — or nothing when there was nothing to take over. Raises `Conflict` when the object kept changing
    under every attempt."""
    gvk, metadata = gvk_of(obj), obj["metadata"]
    current, attempts = obj, 1
    seen: list[Mapping[str, Any]] = []
    while (entries := taken_over(current, managers, field_manager, subresource)) is not None:
        patch = [
            {"op": "replace", "path": "/metadata/resourceVersion", "value": current["metadata"]["resourceVersion"]},
            {"op": "replace", "path": "/metadata/managedFields", "value": entries},
        ]
        try:
            patched = await client.patch(gvk, metadata["name"], metadata.get("namespace"), patch, patch_type="json")
        except Conflict:
            if attempts >= ATTEMPTS:
                raise
            attempts += 1
            current = await client.get(gvk, metadata["name"], metadata.get("namespace"))
            seen.append(current)
            continue
        log.info("took over fields of the previous operator", object=describe(obj),
                 subresource=subresource or "main", managers=", ".join(
                     sorted({str(e.get("manager")) for e in _entries(current) if is_predecessor(e, managers,
                                                                                                subresource)})))
        return [*seen, patched]
    return seen
