"""The deploy tests reuse the controller tests' Site and Secret helpers (tests/controllers/sites.py)."""

from __future__ import annotations

import sys
from pathlib import Path

CONTROLLER_TESTS = str(Path(__file__).resolve().parents[1] / "controllers")
if CONTROLLER_TESTS not in sys.path:
    sys.path.append(CONTROLLER_TESTS)
