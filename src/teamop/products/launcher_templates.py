"""The Posit Job Launcher's Kubernetes templates and the rules its Role grants, shared by Connect and Workbench
(both launch session pods).

With templating enabled the launcher builds each session Job and Service from `job.tpl` and `service.tpl`
(teamop's own, in `templates/`; the `# Version:` header is the template interface version the launcher
checks) and reads the product's settings for session pods from a third file defining the named template
`rstudio-library.templates.data` as a JSON document.

Interface (stable):

- `TEMPLATE_FILES` — the three file names, as mounted in `<launcher scratch>/Kubernetes/`.
- `template_files(data)` — file name → text for the product's templates ConfigMap.
- `session_data(...)` — the JSON document: `job` (labels, annotations), `pod` (labels, annotations,
  serviceAccountName, volumes, volumeMounts, env, imagePullPolicy, imagePullSecrets, initContainers,
  extraContainers, containerSecurityContext, defaultSecurityContext, securityContext, tolerations, affinity,
  nodeSelector, priorityClassName, command), `service` (labels, annotations, type), from the product's
  `sessionConfig` and what the renderer adds.
- `template_mounts(volume_name, directory)` — the read-only sub-path mounts of the three files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from teamop.api.v1beta1.common import SessionConfig
from teamop.products.naming import COMPONENT_LABEL, SITE_LABEL
from teamop.products.objects import policy_rule

# What the launcher in a Connect or Workbench server pod does with session Jobs, pods and Services (the
# reference's rules; the product's launcher Role grants exactly these).
LAUNCHER_RULES: tuple[dict[str, Any], ...] = (
    policy_rule("", ["serviceaccounts"], ["list"]),
    policy_rule("", ["pods/log"], ["get", "watch", "list"]),
    policy_rule(
        "", ["pods", "pods/attach", "pods/exec"], ["get", "create", "update", "patch", "watch", "list", "delete"]
    ),
    policy_rule("", ["events"], ["watch"]),
    policy_rule("", ["services"], ["get", "create", "watch", "list", "delete"]),
    policy_rule("batch", ["jobs"], ["get", "create", "update", "patch", "watch", "list", "delete"]),
    policy_rule("metrics.k8s.io", ["pods"], ["get"]),
)

JOB_TEMPLATE_FILE = "job.tpl"
SERVICE_TEMPLATE_FILE = "service.tpl"
DATA_FILE = "rstudio-library-templates-data.tpl"
TEMPLATE_FILES = (DATA_FILE, JOB_TEMPLATE_FILE, SERVICE_TEMPLATE_FILE)


def _template(name: str) -> str:
    return resources.files("teamop.products").joinpath("templates", name).read_text()


def data_file(data: Mapping[str, Any]) -> str:
    document = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return '{{- define "rstudio-library.templates.data" }}\n' + document + "\n{{- end }}"


def template_files(data: Mapping[str, Any]) -> dict[str, str]:
    return {
        JOB_TEMPLATE_FILE: _template(JOB_TEMPLATE_FILE),
        DATA_FILE: data_file(data),
        SERVICE_TEMPLATE_FILE: _template(SERVICE_TEMPLATE_FILE),
    }


def template_mounts(volume_name: str, directory: str) -> list[dict[str, Any]]:
    return [
        {"name": volume_name, "mountPath": f"{directory}/{name}", "subPath": name, "readOnly": True}
        for name in TEMPLATE_FILES
    ]


def _distinct(items: Sequence[Any]) -> list[Any]:
    result: list[Any] = []
    for item in items:
        if item not in result:
            result.append(item)
    return result


def session_data(
    *,
    site: str,
    session_component: str,
    service_account: str,
    session_config: SessionConfig | None,
    image_pull_policy: str | None = None,
    image_pull_secrets: Sequence[str] = (),
    init_containers: Sequence[Mapping[str, Any]] = (),
    volumes: Sequence[Mapping[str, Any]] = (),
    volume_mounts: Sequence[Mapping[str, Any]] = (),
    env: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The product's settings for its session Jobs, pods and Services. `session_config` (the CR's) adds to and
    overrides what the renderer passes; the session labels (`posit.team/site`, `posit.team/component`) always
    stay."""
    base_labels = {COMPONENT_LABEL: session_component, SITE_LABEL: site}
    config = session_config or SessionConfig()
    pod_config = config.pod
    pod: dict[str, Any] = {
        "serviceAccountName": service_account,
        "labels": dict(base_labels),
        "containerSecurityContext": {},
        "defaultSecurityContext": {},
        "securityContext": {},
    }
    if image_pull_policy:
        pod["imagePullPolicy"] = image_pull_policy
    if image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": name} for name in image_pull_secrets]
    if init_containers:
        pod["initContainers"] = [dict(container) for container in init_containers]
    if volumes:
        pod["volumes"] = [dict(volume) for volume in volumes]
    if volume_mounts:
        pod["volumeMounts"] = [dict(mount) for mount in volume_mounts]
    if env:
        pod["env"] = [dict(entry) for entry in env]
    if pod_config is not None:
        overrides: dict[str, Any] = pod_config.model_dump(mode="json", by_alias=True, exclude_none=True)
        for key in ("volumes", "volumeMounts", "env", "initContainers", "imagePullSecrets"):
            if key in overrides:
                overrides[key] = _distinct([*pod.get(key, []), *overrides[key]])
        overrides["labels"] = {**overrides.get("labels", {}), **base_labels}
        pod.update(overrides)
    job: dict[str, Any] = {"labels": dict(base_labels)}
    if config.job is not None:
        job.update(config.job.model_dump(mode="json", by_alias=True, exclude_none=True))
        job["labels"] = {**job.get("labels", {}), **base_labels}
    service: dict[str, Any] = {"labels": dict(base_labels), "type": "ClusterIP"}
    if config.service is not None:
        service.update(config.service.model_dump(mode="json", by_alias=True, exclude_none=True))
        service["labels"] = {**service.get("labels", {}), **base_labels}
    return {"job": job, "pod": pod, "service": service}
