"""Placement constraints of resource profiles, carried into the launcher profiles that offer those resource
profiles (launcher.kubernetes.profiles.conf), as the reference's Workbench controller writes them: a session
started with a GPU profile must be allowed onto the GPU nodes that profile names.

A resource profile's `placement-constraints` is a comma-separated list of `key:value` (or `key=value`) items; a
launcher profile's `placement-constraints` keeps its own items first, then adds each referenced resource
profile's items once, in the order the profiles are listed.
"""

from __future__ import annotations

from typing import Any

Values = dict[str, Any]


def constraint_items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def is_valid_constraint(item: str) -> bool:
    """`key:value` or `key=value` (the colon wins when both appear), both parts non-empty and without spaces."""
    separator = ":" if ":" in item else "=" if "=" in item else None
    if separator is None:
        return False
    parts = item.split(separator)
    return len(parts) == 2 and all(parts) and " " not in item


def sync_placement_constraints(
    launcher_profiles: dict[str, Values] | None, resource_profiles: dict[str, Values] | None
) -> list[str]:
    """Adds the referenced resource profiles' constraints to each launcher profile, in place. Returns a warning
    for each constraint left out because it is not `key:value`."""
    warnings: list[str] = []
    if not launcher_profiles or not resource_profiles:
        return warnings
    for profile in launcher_profiles.values():
        if not profile.get("resource-profiles"):
            continue
        added: list[str] = []
        for name in profile["resource-profiles"]:
            for item in constraint_items((resource_profiles.get(name) or {}).get("placement-constraints")):
                if is_valid_constraint(item):
                    added.append(item)
                else:
                    warnings.append(
                        f"resource profile {name!r}: placement constraint {item!r} is not key:value; left out"
                    )
        merged = list(dict.fromkeys([*(profile.get("placement-constraints") or []), *added]))
        if merged:
            profile["placement-constraints"] = merged
    return warnings
