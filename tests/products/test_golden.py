"""Every rendered object and config file of each product case equals its golden file."""

from __future__ import annotations

from typing import Any

import pytest
from cases import SPEC_MODELS, chronicle_cases, connect_cases, packagemanager_cases
from golden import check_golden

from teamop.products import chronicle, connect, packagemanager
from teamop.products.context import RenderContext
from teamop.products.rendered import Rendered

RENDERERS: dict[str, Any] = {
    "connect": connect.render,
    "packagemanager": packagemanager.render,
    "chronicle": chronicle.render,
}
CASES: dict[str, dict[str, tuple[dict[str, Any], RenderContext]]] = {
    "connect": connect_cases(),
    "packagemanager": packagemanager_cases(),
    "chronicle": chronicle_cases(),
}
PARAMS = [(product, case) for product, cases in CASES.items() for case in cases]


def render(product: str, case: str) -> Rendered:
    spec, context = CASES[product][case]
    rendered: Rendered = RENDERERS[product](SPEC_MODELS[product](spec), context)
    return rendered


@pytest.mark.parametrize(("product", "case"), PARAMS, ids=[f"{p}-{c}" for p, c in PARAMS])
def test_rendering_matches_golden_files(product: str, case: str) -> None:
    check_golden(product, case, render(product, case))
