"""Golden files of rendered Workbench cases: `golden/<case>/` holds one YAML per object (`<Kind>-<name>.yaml`,
ConfigMap and Secret data replaced by the path of the file holding it) and each config file as plain text under
`files/<object>/<file>` (Secret files decoded: they hold placeholders, never secret values).
`UPDATE_GOLDEN=1 pytest tests/products/workbench` rewrites them."""

from __future__ import annotations

import base64
import copy
import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from teamop.products.workbench.render import WorkbenchRendered

GOLDEN_DIR = Path(__file__).parent / "golden"


def _object_without_data(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    body = copy.deepcopy(obj)
    files: dict[str, str] = {}
    name = body["metadata"]["name"]
    for key, value in (body.get("data") or {}).items():
        text = base64.b64decode(value).decode() if body["kind"] == "Secret" else value
        files[f"files/{name}/{key}"] = text
        body["data"][key] = f"<files/{name}/{key}>"
    return body, files


def golden_files(rendered: WorkbenchRendered) -> dict[str, str]:
    files: dict[str, str] = {}
    for obj in rendered.objects:
        body, data_files = _object_without_data(obj)
        files[f"{obj['kind']}-{obj['metadata']['name']}.yaml"] = yaml.safe_dump(body, sort_keys=True)
        files.update(data_files)
    if rendered.secret_templates:
        files["secret-templates.yaml"] = yaml.safe_dump(
            [
                {"secret": t.secret_name, "refs": {k: {"name": r.name, "key": r.key} for k, r in t.refs.items()}}
                for t in rendered.secret_templates
            ],
            sort_keys=True,
        )
    return files


def stored_files(directory: Path) -> dict[str, str]:
    return {str(path.relative_to(directory)): path.read_text() for path in directory.rglob("*") if path.is_file()}


def check_golden(case: str, rendered: WorkbenchRendered) -> None:
    directory = GOLDEN_DIR / case
    actual = golden_files(rendered)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(directory, ignore_errors=True)
        for name, text in actual.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    stored = stored_files(directory)
    assert sorted(stored) == sorted(actual), f"golden files of workbench/{case} differ in names (UPDATE_GOLDEN=1)"
    for name, text in actual.items():
        assert stored[name] == text, f"workbench/{case}/{name} differs from its golden file (UPDATE_GOLDEN=1)"
