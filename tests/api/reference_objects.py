"""The reference manifests the tests use, and the fields of them the Go operator's CRDs do not define."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from schema_paths import REFERENCE_DIR, load_yaml

SAMPLES = sorted((REFERENCE_DIR / "samples").glob("*.yaml"))
RENDERED = sorted((REFERENCE_DIR / "rendered").glob("*.yaml"))

FIELDS_THE_REFERENCE_CRDS_LACK: dict[str, list[str]] = {
    "advanced_site.yaml": [
        "spec.packageManager.imageVersion",
        "spec.connect.imageVersion",
        "spec.chronicle.imageVersion",
        "spec.workbench.imageVersion",
        "spec.imageRepository",
        "spec.siteImageVersion",
    ],
    "minimal_site.yaml": [
        "spec.domainType",
        "spec.packageManager.imageVersion",
        "spec.connect.imageVersion",
        "spec.workbench.imageVersion",
        "spec.imageRepository",
        "spec.siteImageVersion",
    ],
    "test_site.yaml": ["spec.siteHome"],
    "core.posit.team_v1beta1_postgresdatabase.yaml": [],
    "core_v1beta1_flightdeck.yaml": [],
}


def ids(paths: list[Path]) -> list[str]:
    return [path.name for path in paths]


def without_fields(manifest: dict[str, Any], dotted_paths: list[str]) -> dict[str, Any]:
    """A copy of `manifest` with the fields at `dotted_paths` removed."""
    trimmed = copy.deepcopy(manifest)
    for dotted in dotted_paths:
        *parents, leaf = dotted.split(".")
        node = trimmed
        for name in parents:
            node = node[name]
        del node[leaf]
    return trimmed


def sample(path: Path) -> dict[str, Any]:
    return load_yaml(path)
