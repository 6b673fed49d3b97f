"""What the API server would refuse (422 Invalid) in a rendered workload although the CRDs accept the Site, told
without asking it and in the server's words: a container without an image, a `nodeSelector` whose keys or
values are not valid labels, and tolerations the server does not understand (the CRDs take any strings there, as
the Go operator's do). `teamop render` reports these; the controllers leave the judgement to the server and
report its answer."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
CONTAINER_LISTS = ("initContainers", "containers")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
LABEL_MAX_BYTES = 63
PREFIX_MAX_BYTES = 253
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_ALPHANUMERIC_ENDS = "and must start and end with an alphanumeric character"


def refusal(obj: Mapping[str, Any]) -> str | None:
    """The API server's message for `obj` when it would refuse it for a reason checked here, else None."""
    causes = list(_causes(obj))
    if not causes:
        return None
    listed = causes[0] if len(causes) == 1 else f"[{', '.join(causes)}]"  # as the server lists several
    return f"{qualified_kind(obj)} \"{obj['metadata']['name']}\" is invalid: {listed}"


def qualified_kind(obj: Mapping[str, Any]) -> str:
    """`Deployment.apps`, `ConfigMap`: how the API server names a kind in its messages."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return f"{obj.get('kind')}.{group}" if group else str(obj.get("kind"))


def _causes(obj: Mapping[str, Any]) -> Iterator[str]:
    if obj.get("kind") not in POD_TEMPLATE_KINDS:
        return
    pod_spec = (((obj.get("spec") or {}).get("template") or {}).get("spec")) or {}
    for containers in CONTAINER_LISTS:
        for index, container in enumerate(pod_spec.get(containers) or []):
            if not container.get("image"):
                yield f"spec.template.spec.{containers}[{index}].image: Required value"
    for key, value in sorted((pod_spec.get("nodeSelector") or {}).items()):
        for problem in (label_key_problem(key), label_value_problem(str(value))):
            if problem:
                yield f"spec.template.spec.nodeSelector: Invalid value: \"{problem[0]}\": {problem[1]}"
    for index, toleration in enumerate(pod_spec.get("tolerations") or []):
        yield from (f"spec.template.spec.tolerations[{index}].{cause}" for cause in toleration_causes(toleration))


def toleration_causes(toleration: Mapping[str, Any]) -> Iterator[str]:
    """Why the API server refuses a toleration, each as `<field>: <why>`."""
    key, operator = toleration.get("key") or "", toleration.get("operator") or ""
    value, effect = toleration.get("value") or "", toleration.get("effect") or ""
    if key and (problem := label_key_problem(key)):
        yield f"key: Invalid value: \"{key}\": {problem[1]}"
    if not key and operator != "Exists":
        yield (f"operator: Invalid value: \"{operator}\": operator must be Exists when `key` is empty, which means "
               "\"match all values and all keys\"")
    if toleration.get("tolerationSeconds") is not None and effect != "NoExecute":
        yield f"effect: Invalid value: \"{effect}\": effect must be 'NoExecute' when `tolerationSeconds` is set"
    if operator == "Exists" and value:
        yield f"operator: Invalid value: \"{value}\": value must be empty when `operator` is 'Exists'"
    elif operator not in ("", "Equal", "Exists"):
        yield f"operator: Unsupported value: \"{operator}\": supported values: \"Equal\", \"Exists\""
    if effect not in ("", *TAINT_EFFECTS):
        supported = ", ".join(f'"{e}"' for e in TAINT_EFFECTS)
        yield f"effect: Unsupported value: \"{effect}\": supported values: {supported}"


def label_value_problem(value: str) -> tuple[str, str] | None:
    """(value, why) when `value` is not a valid label value."""
    if len(value.encode()) > LABEL_MAX_BYTES:
        return value, f"must be no more than {LABEL_MAX_BYTES} bytes"
    if not _LABEL_VALUE.fullmatch(value):
        return value, ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                       f"'.', {_ALPHANUMERIC_ENDS}")
    return None


def label_key_problem(key: str) -> tuple[str, str] | None:
    """(key, why) when `key` is not a valid label key: `[prefix/]name`, the prefix a DNS subdomain."""
    parts = key.split("/")
    if len(parts) > 2:
        return key, ("a valid label key must consist of alphanumeric characters, '-', '_' or '.', "
                     f"{_ALPHANUMERIC_ENDS} with an optional DNS subdomain prefix and '/'")
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return key, "prefix part must be non-empty"
        if len(prefix) > PREFIX_MAX_BYTES or not _DNS_SUBDOMAIN.fullmatch(prefix):
            return key, ("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                         f"characters, '-' or '.', {_ALPHANUMERIC_ENDS}")
    if not name:
        return key, "name part must be non-empty"
    if len(name.encode()) > LABEL_MAX_BYTES:
        return key, f"name part must be no more than {LABEL_MAX_BYTES} bytes"
    if not _NAME_PART.fullmatch(name):
        return key, f"name part must consist of alphanumeric characters, '-', '_' or '.', {_ALPHANUMERIC_ENDS}"
    return None


def invalid_spec_message(server_message: str) -> str:
    """The `InvalidSpec` condition's message for an object the API server refused (or would refuse)."""
    return f"the API server refuses {server_message}; what already runs is kept until the spec is fixed"
