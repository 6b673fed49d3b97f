"""Writing generated manifests (the CRDs, the RBAC rules, the chart's generated pieces) into a folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def write_files(directory: Path, files: Mapping[str, str]) -> list[Path]:
    """Writes each text of `files` (path below `directory` → text) and returns the files written; `directory` and
    the folders below it are created when missing."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
