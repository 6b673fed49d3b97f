"""Every rendered Workbench object and config file of each case equals its golden file."""

from __future__ import annotations

import pytest
from workbench_cases import cases, render_case
from workbench_golden import check_golden

CASES = sorted(cases())


@pytest.mark.parametrize("case", CASES)
def test_rendering_matches_golden_files(case: str) -> None:
    check_golden(case, render_case(case))
