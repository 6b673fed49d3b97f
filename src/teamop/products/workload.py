"""The Deployment/StatefulSet every product runs: one server container (plus sidecars) in a pod template.

Interface (stable):

- `Workload(...)` — everything about the server pod a renderer decides (see the field docs). `site`, `namespace`
  and `component` give the names and the exact selector labels (`naming.selector_labels`); `config_hash`
  goes into the pod-template annotation `config_hash_annotation(component)`
  (`<app-name>.posit.team/configmap-sha`, the reference's key) so that a config change rolls the pods and a
  change of anything else outside the pod template (replicas, say) does not.
- `deployment(workload, replicas)`, `stateful_set(workload, replicas, service_name)` — the workload objects.
- `pod_template(workload)`, `server_container(workload)` — the parts, for callers that need them.
- Env helpers: `env_value(name, value)`, `env_from_secret(name, ref)`, `with_added_env(env, add_env)` (the
  spec's `addEnv` replaces a same-named entry in place, else is appended — never a duplicate name).
- `HttpProbe(path, failure_threshold=3)` — an HTTP readiness probe on the container port named `http`.
- `PodParts(env, volumes, mounts)` — what one concern (licence, key file, config files…) adds to the pod;
  `PodParts.join(*parts)` concatenates them.
- `service_account_token_parts()` — the projected API token volume the reference mounts explicitly into
  launcher-running servers whose pods do not automount the token.
- `anti_affinity(site, namespace, component)` — prefer spreading the server pods over nodes (as the reference).

Passwords and keys only ever appear as `valueFrom.secretKeyRef`; never as an env `value`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from teamop.products.context import SecretKeyRef
from teamop.products.naming import (
    APP_NAMES,
    INSTANCE_LABEL,
    SITE_LABEL,
    child_name,
    component_labels,
    selector_labels,
)
from teamop.products.objects import metadata

SLEEP_COMMAND = ["sleep", "infinity"]


def config_hash_annotation(component: str) -> str:
    return f"{APP_NAMES[component]}.posit.team/configmap-sha"


def env_value(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value}


def env_from_secret(name: str, ref: SecretKeyRef) -> dict[str, Any]:
    return {"name": name, "valueFrom": ref.env_source()}


def with_added_env(env: Sequence[Mapping[str, Any]], add_env: Mapping[str, str] | None) -> list[dict[str, Any]]:
    result = [dict(entry) for entry in env]
    for name, value in (add_env or {}).items():
        entry = env_value(name, value)
        for index, existing in enumerate(result):
            if existing["name"] == name:
                result[index] = entry
                break
        else:
            result.append(entry)
    return result


@dataclass(frozen=True)
class HttpProbe:
    path: str
    port: str = "http"
    initial_delay_seconds: int = 3
    period_seconds: int = 3
    timeout_seconds: int = 1
    success_threshold: int = 1
    failure_threshold: int = 3

    def body(self) -> dict[str, Any]:
        return {
            "httpGet": {"path": self.path, "port": self.port, "scheme": "HTTP"},
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "timeoutSeconds": self.timeout_seconds,
            "successThreshold": self.success_threshold,
            "failureThreshold": self.failure_threshold,
        }


@dataclass(frozen=True)
class ContainerPort:
    name: str
    port: int

    def body(self) -> dict[str, Any]:
        return {"name": self.name, "containerPort": self.port, "protocol": "TCP"}


@dataclass
class PodParts:
    env: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def join(*parts: PodParts) -> PodParts:
        joined = PodParts()
        for part in parts:
            joined.env.extend(part.env)
            joined.volumes.extend(part.volumes)
            joined.mounts.extend(part.mounts)
        return joined


def service_account_token_parts(volume_name: str = "kube-api-access-volume") -> PodParts:
    volume = {
        "name": volume_name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3600, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ],
        },
    }
    mount = {"name": volume_name, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}
    return PodParts(volumes=[volume], mounts=[mount])


def anti_affinity(site: str, namespace: str, component: str) -> dict[str, Any]:
    term = {
        "labelSelector": {
            "matchExpressions": [
                {"key": INSTANCE_LABEL, "operator": "In", "values": [child_name(site, component)]},
                {"key": SITE_LABEL, "operator": "In", "values": [site]},
            ]
        },
        "namespaces": [namespace],
        "topologyKey": "kubernetes.io/hostname",
    }
    preferred = [{"weight": 1, "podAffinityTerm": term}]
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}}


@dataclass
class Workload:
    site: str
    namespace: str
    component: str
    container_name: str
    image: str
    service_account: str
    config_hash: str
    ports: Sequence[ContainerPort] = ()
    image_pull_policy: str | None = None
    image_pull_secrets: Sequence[str] = ()
    command: Sequence[str] | None = None
    args: Sequence[str] | None = None
    env: Sequence[Mapping[str, Any]] = ()
    add_env: Mapping[str, str] | None = None
    """The spec's addEnv, applied last."""
    volumes: Sequence[Mapping[str, Any]] = ()
    volume_mounts: Sequence[Mapping[str, Any]] = ()
    readiness_probe: HttpProbe | None = None
    resources: Mapping[str, Any] | None = None
    """Requests and limits; quantities in canonical form ("500m", "2Gi", "1")."""
    security_context: Mapping[str, Any] | None = None
    pod_security_context: Mapping[str, Any] | None = None
    node_selector: Mapping[str, str] | None = None
    tolerations: Sequence[Mapping[str, Any]] | None = None
    sidecars: Sequence[Mapping[str, Any]] = ()
    init_containers: Sequence[Mapping[str, Any]] = ()
    automount_service_account_token: bool | None = None
    spread_over_nodes: bool = True
    sleep: bool = False
    """Run `sleep infinity` instead of the server (the spec's `sleep`, to debug a crash-looping server)."""
    extra_pod_annotations: Mapping[str, str] = field(default_factory=dict)


def server_container(workload: Workload) -> dict[str, Any]:
    container: dict[str, Any] = {"name": workload.container_name, "image": workload.image}
    if workload.image_pull_policy:
        container["imagePullPolicy"] = workload.image_pull_policy
    if workload.sleep:
        container["command"] = list(SLEEP_COMMAND)
    else:
        if workload.command is not None:
            container["command"] = list(workload.command)
        if workload.args is not None:
            container["args"] = list(workload.args)
    env = with_added_env(workload.env, workload.add_env)
    if env:
        container["env"] = env
    if workload.ports:
        container["ports"] = [port.body() for port in workload.ports]
    if workload.readiness_probe is not None and not workload.sleep:
        container["readinessProbe"] = workload.readiness_probe.body()
    if workload.resources:
        container["resources"] = dict(workload.resources)
    if workload.security_context:
        container["securityContext"] = dict(workload.security_context)
    if workload.volume_mounts:
        container["volumeMounts"] = [dict(mount) for mount in workload.volume_mounts]
    return container


def pod_template(workload: Workload) -> dict[str, Any]:
    site, namespace, component = workload.site, workload.namespace, workload.component
    spec: dict[str, Any] = {
        "serviceAccountName": workload.service_account,
        "enableServiceLinks": False,
        "containers": [server_container(workload), *(dict(sidecar) for sidecar in workload.sidecars)],
    }
    if workload.spread_over_nodes:
        spec["affinity"] = anti_affinity(site, namespace, component)
    if workload.automount_service_account_token is not None:
        spec["automountServiceAccountToken"] = workload.automount_service_account_token
    if workload.init_containers:
        spec["initContainers"] = [dict(container) for container in workload.init_containers]
    if workload.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": name} for name in workload.image_pull_secrets]
    if workload.node_selector:
        spec["nodeSelector"] = dict(workload.node_selector)
    if workload.tolerations:
        spec["tolerations"] = [dict(toleration) for toleration in workload.tolerations]
    if workload.pod_security_context:
        spec["securityContext"] = dict(workload.pod_security_context)
    if workload.volumes:
        spec["volumes"] = [dict(volume) for volume in workload.volumes]
    annotations = {config_hash_annotation(component): workload.config_hash, **workload.extra_pod_annotations}
    return {
        "metadata": {"labels": component_labels(site, component), "annotations": annotations},
        "spec": spec,
    }


def deployment(workload: Workload, replicas: int) -> dict[str, Any]:
    return _apps_object("Deployment", workload, {"replicas": replicas})


def stateful_set(workload: Workload, replicas: int, service_name: str) -> dict[str, Any]:
    return _apps_object("StatefulSet", workload, {"replicas": replicas, "serviceName": service_name})


def _apps_object(kind: str, workload: Workload, spec: dict[str, Any]) -> dict[str, Any]:
    """A `kind` of apps/v1 named `<site>-<component>` that runs the workload's pod template; `spec`: its fields
    before the selector."""
    site, namespace, component = workload.site, workload.namespace, workload.component
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": metadata(child_name(site, component), namespace, component_labels(site, component)),
        "spec": {
            **spec,
            "selector": {"matchLabels": selector_labels(site, component)},
            "template": pod_template(workload),
        },
    }
