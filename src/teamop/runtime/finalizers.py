"""Add and remove finalizers with a patch (never a full update). The patch carries the resourceVersion the caller
saw, so a concurrent change to the finalizer list fails with Conflict (and the reconcile is retried) instead of
being overwritten."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from teamop.runtime.client import Client
from teamop.runtime.errors import NotFound
from teamop.runtime.kinds import gvk_of


def has_finalizer(obj: Mapping[str, Any], finalizer: str) -> bool:
    return finalizer in ((obj.get("metadata") or {}).get("finalizers") or [])


def is_being_deleted(obj: Mapping[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


async def _patch_finalizers(client: Client, obj: Mapping[str, Any], finalizers: list[str]) -> dict[str, Any]:
    metadata = obj["metadata"]
    patch = {"metadata": {"finalizers": finalizers, "resourceVersion": metadata["resourceVersion"]}}
    return await client.patch(gvk_of(obj), metadata["name"], metadata.get("namespace"), patch, patch_type="merge")


async def add_finalizer(client: Client, obj: Mapping[str, Any], finalizer: str) -> dict[str, Any] | None:
    """Add `finalizer` unless present. Returns the patched object, or None when nothing was written."""
    if has_finalizer(obj, finalizer):
        return None
    current = list((obj.get("metadata") or {}).get("finalizers") or [])
    return await _patch_finalizers(client, obj, [*current, finalizer])


async def remove_finalizer(client: Client, obj: Mapping[str, Any], finalizer: str) -> dict[str, Any] | None:
    """Remove `finalizer` if present. Returns the patched object, or None when nothing was written (also when
    the object is already gone)."""
    if not has_finalizer(obj, finalizer):
        return None
    remaining = [f for f in obj["metadata"]["finalizers"] if f != finalizer]
    try:
        return await _patch_finalizers(client, obj, remaining)
    except NotFound:
        return None
