"""The base of every teamop API model: camelCase JSON names, snake_case Python names, unknown fields rejected."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel, to_pascal


class ApiModel(BaseModel):
    """A part of a custom resource. JSON names are the reference CRDs' (camelCase unless a field says otherwise)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_attribute_docstrings=True,
        validate_assignment=True,
        # Validators are built when a model is first used: an operator with no Site does not hold them (~5 MB).
        defer_build=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object as the API server stores it: JSON names, only the fields that were set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls.model_validate(data)


class ConfigSection(ApiModel):
    """A section of a product's gcfg configuration file; its keys are PascalCase, as the product spells them."""

    model_config = ConfigDict(alias_generator=to_pascal)


PASS_THROUGH_SCHEMA: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}

KubeObject = Annotated[dict[str, Any], WithJsonSchema(PASS_THROUGH_SCHEMA)]
"""A Kubernetes core object (Affinity, Container, Volume, SecurityContext …) kept as given: the API server and
the kubelet validate it where it is used, and it round-trips unchanged."""

AnyValue = Annotated[Any, WithJsonSchema({"x-kubernetes-preserve-unknown-fields": True})]
"""Any JSON value (a user setting of an editor, for example)."""

StringMap = dict[str, str]

NonNegativeInt = Annotated[int, Field(ge=0)]


def to_kebab(name: str) -> str:
    return name.replace("_", "-")


class KebabSection(ApiModel):
    """A section of an INI-style configuration file whose keys are kebab-case (Workbench's)."""

    model_config = ConfigDict(alias_generator=to_kebab)
