"""Golden-file comparison for rendering tests: `UPDATE_GOLDEN=1` rewrites the files instead of comparing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path


def updating() -> bool:
    return os.environ.get("UPDATE_GOLDEN") == "1"


def stored_files(directory: Path) -> dict[str, str]:
    """Every file under `directory`, by its path relative to it."""
    return {str(p.relative_to(directory)): p.read_text() for p in sorted(directory.rglob("*")) if p.is_file()}


def check_golden_files(directory: Path, actual: Mapping[str, str], label: str) -> None:
    """Assert that `directory` holds exactly `actual` (relative path → text), or rewrite it when updating."""
    if updating():
        shutil.rmtree(directory, ignore_errors=True)
        for name, text in actual.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    stored = stored_files(directory)
    assert sorted(stored) == sorted(actual), f"golden files of {label} differ in names (UPDATE_GOLDEN=1 rewrites)"
    for name, text in actual.items():
        assert stored[name] == text, f"{label}/{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites)"
