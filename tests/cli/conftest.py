"""The command-line tests use the Site helpers of tests/controllers/sites.py (the in-process `operator` fixture is
in tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

CONTROLLER_TESTS = Path(__file__).resolve().parents[1] / "controllers"
if str(CONTROLLER_TESTS) not in sys.path:
    sys.path.insert(0, str(CONTROLLER_TESTS))  # for `import sites`

