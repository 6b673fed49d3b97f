"""The static files (CSS, SVG icons), read once at start: the root filesystem is read-only in the pod, and
an ETag per file plus a version for the whole set let browsers cache them for long."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).with_name("static")
CONTENT_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


@dataclass(frozen=True)
class Assets:
    files: Mapping[str, Asset]
    """Path relative to the static directory, with `/` separators → the file."""
    version: str
    """Changes whenever any file does."""

    def get(self, path: str) -> Asset | None:
        return self.files.get(path)


def load_assets(directory: Path = STATIC_DIR) -> Assets:
    if not (directory / "flightdeck.css").is_file():
        raise FileNotFoundError(f"Flightdeck's static files are missing from {directory} (packaged without them?)")
    files: dict[str, Asset] = {}
    overall = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        content_type = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
        files[relative] = Asset(body=body, content_type=content_type, etag=f'"{digest[:16]}"')
        overall.update(relative.encode() + b"\0" + digest.encode())
    return Assets(files=files, version=overall.hexdigest()[:12])
