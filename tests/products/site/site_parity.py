"""The reference's rendered objects for comparing what teamop renders for a Site with what the Go operator wrote
(the comparison itself is `teamop.testing.parity`; the differences allowed are `teamop.products.site.differences`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REFERENCE = Path(__file__).parents[2] / "reference" / "rendered"
REFERENCE_OBJECTS = REFERENCE / "test_site"


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded
