"""Golden files of rendered Workbench cases: `golden/<case>/` holds one YAML per object (`<Kind>-<name>.yaml`,
ConfigMap and Secret data replaced by the path of the file holding it) and each config file as plain text under
`files/<object>/<file>` (Secret files decoded: they hold placeholders, never secret values).
`UPDATE_GOLDEN=1 pytest tests/products/workbench` rewrites them."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import yaml

from teamop.products.workbench.render import WorkbenchRendered
from teamop.testing.golden import check_golden_files

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


def check_golden(case: str, rendered: WorkbenchRendered) -> None:
    check_golden_files(GOLDEN_DIR / case, golden_files(rendered), f"workbench/{case}")
