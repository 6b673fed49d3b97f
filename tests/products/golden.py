"""Golden files of rendered products: `golden/<product>/<case>/` holds one YAML per object
(`<Kind>-<name>.yaml`) and the config files under `files/`. `UPDATE_GOLDEN=1 pytest tests/products` rewrites them."""

from __future__ import annotations

from pathlib import Path

import yaml

from teamop.products.rendered import Rendered
from teamop.testing.golden import check_golden_files

GOLDEN_DIR = Path(__file__).parent / "golden"


def expected_files(rendered: Rendered) -> dict[str, str]:
    files = {
        f"{obj['kind']}-{obj['metadata']['name']}.yaml": yaml.safe_dump(obj, sort_keys=True)
        for obj in rendered.objects
    }
    files.update({f"files/{name}": text for name, text in rendered.files.items()})
    return files


def check_golden(product: str, case: str, rendered: Rendered) -> None:
    check_golden_files(GOLDEN_DIR / product / case, expected_files(rendered), f"{product}/{case}")
