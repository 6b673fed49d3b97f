"""Translating pydantic's JSON schema into a Kubernetes structural schema."""

from __future__ import annotations

import pytest
from pydantic import Field

from teamop.api.crdgen import UnsupportedSchema, structural_schema
from teamop.api.v1beta1.base import ApiModel, KubeObject


class Volume(ApiModel):
    """A volume."""

    size: str | None = None
    """How big."""


class Example(ApiModel):
    """An example."""

    volume: Volume | None = None
    """The data volume."""
    replicas: int = Field(default=1, ge=0)
    pod: KubeObject | None = None


def example_schema() -> dict[str, object]:
    return structural_schema(Example.model_json_schema(by_alias=True))


def test_optional_fields_are_inlined_and_not_required() -> None:
    schema = example_schema()

    assert schema["properties"] == {
        "volume": {
            "description": "The data volume.",
            "type": "object",
            "properties": {"size": {"description": "How big.", "type": "string"}},
        },
        "replicas": {"default": 1, "minimum": 0, "type": "integer"},
        "pod": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    }
    assert "required" not in schema


def test_model_docstring_becomes_the_description() -> None:
    assert example_schema()["description"] == "An example."


def test_a_union_of_two_types_is_refused() -> None:
    class Ambiguous(ApiModel):
        value: int | str

    with pytest.raises(UnsupportedSchema, match="value"):
        structural_schema(Ambiguous.model_json_schema(by_alias=True))
