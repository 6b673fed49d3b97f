"""CustomResourceDefinitions generated from the pydantic models.

Pydantic's JSON schema uses `$ref`/`$defs`, `anyOf` with null for optional fields and `title`s; Kubernetes wants
a structural schema: every node typed and inlined, optional fields simply not required. `structural_schema`
does that translation; `crd_for` wraps it in the CRD with the names, scope, subresources and printer columns of
the Go operator's CRDs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from teamop.api.v1beta1.kinds import KINDS, Kind
from teamop.api.v1beta1.resource import GROUP, VERSION
from teamop.generated_files import write_files

CRD_DIR = Path("config") / "crd" / "bases"

API_VERSION_DESCRIPTION = (
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert "
    "recognized schemas to the latest internal value, and may reject unrecognized values."
)
KIND_DESCRIPTION = (
    "Kind is a string value representing the REST resource this object represents. Servers may infer this from "
    "the endpoint the client submits requests to. Cannot be updated. In CamelCase."
)
DROPPED_KEYWORDS = frozenset({"title", "$defs"})


class UnsupportedSchema(ValueError):
    """A model uses a construct that has no structural-schema equivalent (e.g. a union of two types)."""


def structural_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Kubernetes structural form of a pydantic JSON schema (`model_json_schema(by_alias=True)`)."""
    return _flatten(schema, schema.get("$defs", {}) if defs is None else defs, "")


def _flatten(node: dict[str, Any], defs: dict[str, Any], path: str) -> dict[str, Any]:
    inner: dict[str, Any] = {}
    if "$ref" in node:
        inner = _flatten(defs[node["$ref"].rsplit("/", 1)[-1]], defs, path)
    elif "allOf" in node:
        if len(node["allOf"]) != 1:
            raise UnsupportedSchema(f"{path or '<root>'}: allOf with several schemas")
        inner = _flatten(node["allOf"][0], defs, path)
    elif "anyOf" in node:
        branches = [branch for branch in node["anyOf"] if branch != {"type": "null"}]
        if len(branches) != 1:
            raise UnsupportedSchema(f"{path or '<root>'}: a union of several types")
        inner = _flatten(branches[0], defs, path)

    own: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED_KEYWORDS or key in ("$ref", "allOf", "anyOf"):
            continue
        if key == "default" and value is None:
            continue
        if key == "const":
            own["enum"] = [value]
        elif key == "properties":
            own["properties"] = {name: _flatten(child, defs, f"{path}.{name}") for name, child in sorted(value.items())}
        elif key == "items":
            own["items"] = _flatten(value, defs, f"{path}[]")
        elif key == "additionalProperties":
            if isinstance(value, dict):
                own["additionalProperties"] = _flatten(value, defs, f"{path}{{}}")
            # `false` is pydantic's extra="forbid": a structural schema forbids unknown fields by default.
        else:
            own[key] = value

    merged = {**inner, **own}
    if "required" in merged:
        merged["required"] = sorted(merged["required"])
    return dict(sorted(merged.items()))


def _printer_columns(kind: Kind) -> list[dict[str, Any]]:
    columns = []
    for column in kind.columns:
        entry: dict[str, Any] = {"name": column.name, "type": column.type, "jsonPath": column.json_path}
        if column.description:
            entry["description"] = column.description
        if column.priority:
            entry["priority"] = column.priority
        columns.append(entry)
    return columns


def openapi_schema(kind: Kind) -> dict[str, Any]:
    """The openAPIV3Schema of a kind: its model, flattened, with the standard envelope fields."""
    schema = structural_schema(kind.model.model_json_schema(by_alias=True, mode="validation"))
    properties = schema["properties"]
    properties["apiVersion"] = {"description": API_VERSION_DESCRIPTION, "type": "string"}
    properties["kind"] = {"description": KIND_DESCRIPTION, "type": "string"}
    properties["metadata"] = {"type": "object"}
    schema["required"] = ["spec"]
    return schema


def crd_for(kind: Kind) -> dict[str, Any]:
    """The CustomResourceDefinition of one kind."""
    names: dict[str, Any] = {
        "kind": kind.kind,
        "listKind": f"{kind.kind}List",
        "plural": kind.plural,
        "singular": kind.singular,
    }
    if kind.short_names:
        names["shortNames"] = list(kind.short_names)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": kind.crd_name},
        "spec": {
            "group": GROUP,
            "names": names,
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": openapi_schema(kind)},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": _printer_columns(kind),
                }
            ],
        },
    }


def generate_crds() -> list[dict[str, Any]]:
    """Every CRD of core.posit.team, in a fixed order."""
    return [crd_for(kind) for kind in KINDS]


def crd_file_name(crd: dict[str, Any]) -> str:
    return f"{crd['spec']['group']}_{crd['spec']['names']['plural']}.yaml"


class _CrdDumper(yaml.SafeDumper):
    """Writes multi-line strings (descriptions) as literal blocks, so the files read well and diff well."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CrdDumper.add_representer(str, _represent_str)


def crd_yaml(crd: dict[str, Any]) -> str:
    """A CRD as the YAML file teamop commits."""
    body = yaml.dump(crd, Dumper=_CrdDumper, sort_keys=False, width=120, allow_unicode=True)
    return "---\n" + body


def rendered_crd_files() -> dict[str, str]:
    """File name → YAML text of every CRD."""
    return {crd_file_name(crd): crd_yaml(crd) for crd in generate_crds()}


def write_crds(out_dir: Path) -> list[Path]:
    """Writes every CRD into `out_dir` (created if missing); returns the files written."""
    return write_files(out_dir, rendered_crd_files())
