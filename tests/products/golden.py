"""Golden files of rendered products: `golden/<product>/<case>/` holds one YAML per object
(`<Kind>-<name>.yaml`) and the config files under `files/`. `UPDATE_GOLDEN=1 pytest tests/products` rewrites them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from teamop.products.rendered import Rendered

GOLDEN_DIR = Path(__file__).parent / "golden"


def expected_files(rendered: Rendered) -> dict[str, str]:
    files = {
        f"{obj['kind']}-{obj['metadata']['name']}.yaml": yaml.safe_dump(obj, sort_keys=True)
        for obj in rendered.objects
    }
    files.update({f"files/{name}": text for name, text in rendered.files.items()})
    return files


def stored_files(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): path.read_text()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def check_golden(product: str, case: str, rendered: Rendered) -> None:
    directory = GOLDEN_DIR / product / case
    actual = expected_files(rendered)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(directory, ignore_errors=True)
        for name, text in actual.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    stored = stored_files(directory)
    assert sorted(stored) == sorted(actual), f"golden files of {product}/{case} differ in names"
    for name, text in actual.items():
        assert stored[name] == text, f"{product}/{case}/{name} differs from its golden file (UPDATE_GOLDEN=1)"
