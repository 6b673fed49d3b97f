"""Checking a manifest as the API server would, with every error named by its full JSON path.

The models are the CRDs' source (`teamop crds`), so their rules are the API server's: unknown fields
(`extra="forbid"`), patterns, enums, bounds and the cross-field rules. `check_manifest` adds what the API server
checks of any object: `apiVersion`, `kind` and a valid `metadata.name`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from teamop.api.v1beta1.kinds import KINDS_BY_NAME
from teamop.api.v1beta1.resource import API_VERSION

NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
NAME_MAX_LENGTH = 253
_SENSITIVE = re.compile(r"key|password|secret|token|credential", re.IGNORECASE)
_SHOWN_INPUT_LENGTH = 80


def json_path(location: Sequence[int | str]) -> str:
    """`("spec", "tolerations", 0, "key")` → `spec.tolerations[0].key`."""
    path = ""
    for step in location:
        if isinstance(step, int):
            path += f"[{step}]"
        else:
            path += f".{step}" if path else str(step)
    return path or "(the object)"


def describe_errors(error: ValidationError, prefix: Sequence[int | str] = ()) -> list[str]:
    """One line per error: `<json path>: <what is wrong>`. An input is shown only when it is a short scalar of a
    field whose name does not suggest a secret."""
    lines = []
    for item in error.errors():
        location = [*prefix, *item.get("loc", ())]
        kind = item.get("type")
        if kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "missing":
            message = "required field is missing"
        else:
            message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
            shown = _shown_input(location, item.get("input"))
            if shown is not None:
                message += f" (got {shown})"
        lines.append(f"{json_path(location)}: {message}")
    return lines


def _shown_input(location: Sequence[int | str], value: Any) -> str | None:
    if isinstance(value, dict | list) or any(isinstance(s, str) and _SENSITIVE.search(s) for s in location):
        return None
    text = repr(value)
    return text if len(text) <= _SHOWN_INPUT_LENGTH else text[:_SHOWN_INPUT_LENGTH] + "…"


def check_manifest(document: Any, model: type[BaseModel] | None = None) -> tuple[BaseModel | None, list[str]]:
    """`document` as its teamop model (the one of its kind, or `model`), or the list of everything wrong."""
    if not isinstance(document, dict):
        return None, [f"(the object): expected a mapping, got {type(document).__name__}"]
    errors: list[str] = []
    if model is None:
        kind = KINDS_BY_NAME.get(str(document.get("kind")))
        if kind is None:
            return None, [f"kind: {document.get('kind')!r} is not a kind of {API_VERSION}"]
        model = kind.model
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not name:
        errors.append("metadata.name: required field is missing")
    elif not isinstance(name, str) or len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.match(name):
        errors.append(f"metadata.name: must be a lower-case DNS name of at most {NAME_MAX_LENGTH} characters "
                      f"(got {name!r})")
    try:
        validated = model.model_validate(document)
    except ValidationError as error:
        return None, errors + describe_errors(error)
    return (None, errors) if errors else (validated, [])
