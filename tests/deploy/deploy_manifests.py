"""Rendering the kustomize layout under config/ with the control plane's kubectl (not a test module)."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from teamop.testing.controlplane import find_binaries

CONFIG = Path(__file__).resolve().parents[2] / "config"


@cache
def kubectl_binary() -> Path:
    """kubectl from the control plane's binaries (built or reused from ~/.cache/teamop, as `make controlplane`)."""
    return find_binaries() / "kubectl"


def kustomize(directory: str | Path) -> str:
    """`kubectl kustomize config/<directory>` (or of any directory given as a Path): the YAML stream."""
    path = directory if isinstance(directory, Path) else CONFIG / directory
    result = subprocess.run([str(kubectl_binary()), "kustomize", str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return result.stdout


@cache
def _rendered(directory: str) -> tuple[dict[str, Any], ...]:
    return tuple(doc for doc in yaml.safe_load_all(kustomize(directory)) if doc)


def rendered(directory: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize config/<directory>` renders (do not modify them: they are shared)."""
    return list(_rendered(directory))


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]
