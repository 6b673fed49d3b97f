"""Builders of the plain Kubernetes objects every product has. Each returns a dict as the API server stores it
(explicit `protocol: TCP`, `pathType`, default modes …), so that desired ⊆ live holds after a round-trip.

Interface (stable; `site`, `namespace`, `component` are the Site's name, its namespace and a naming.Component):

- `metadata(name, namespace, labels, annotations=None)`
- `service_account(site, namespace, component, name=None, annotations=None, automount=None)`
- `eks_role_annotations(aws_account_id, role)` — `{"eks.amazonaws.com/role-arn": ...}` or `{}` without an account
- `config_map(site, namespace, component, name, files)`
- `secret(site, namespace, component, name, data)` — data values are text; written base64 under `data`
- `ServicePort(name, port, target_port=None)`; `service(site, namespace, component, ports, annotations=None)`
- `ingress(site, namespace, component, host, ingress_class=None, annotations=None)` — path `/` Prefix to the
  component's Service, port name `http`
- `pod_disruption_budget(site, namespace, component, replicas)` — `None` unless replicas > 1
- `role(site, namespace, component, name, rules)`; `role_binding(site, namespace, component, name, role_name,
  service_account)`
PVCs are in `storage.py`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from teamop.products.naming import child_name, component_labels, selector_labels

EKS_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def metadata(
    name: str, namespace: str, labels: Mapping[str, str], annotations: Mapping[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(labels)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def eks_role_annotations(aws_account_id: str | None, role: str) -> dict[str, str]:
    """The IRSA annotation naming an IAM role of the account; nothing when the product has no AWS account."""
    if not aws_account_id:
        return {}
    return {EKS_ROLE_ANNOTATION: f"arn:aws:iam::{aws_account_id}:role/{role}"}


def service_account(
    site: str,
    namespace: str,
    component: str,
    name: str | None = None,
    *,
    annotations: Mapping[str, str] | None = None,
    automount: bool | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(name or child_name(site, component), namespace, component_labels(site, component),
                             annotations),
    }
    if automount is not None:
        body["automountServiceAccountToken"] = automount
    return body


def config_map(site: str, namespace: str, component: str, name: str, files: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(name, namespace, component_labels(site, component)),
        "data": dict(files),
    }


def secret(site: str, namespace: str, component: str, name: str, data: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, namespace, component_labels(site, component)),
        "type": "Opaque",
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
    }


@dataclass(frozen=True)
class ServicePort:
    """A Service port; `target_port` is the container port's name (defaults to `name`)."""

    name: str
    port: int
    target_port: str | None = None

    def body(self) -> dict[str, Any]:
        return {"name": self.name, "port": self.port, "protocol": "TCP", "targetPort": self.target_port or self.name}


def sticky_cookie_annotations(cookie: str) -> dict[str, str]:
    """Sticky sessions through Traefik under the cookie `cookie`, as the reference sets them (harmless with other
    ingress controllers)."""
    prefix = "traefik.ingress.kubernetes.io/service.sticky.cookie"
    return {
        prefix: "true",
        f"{prefix}.httponly": "true",
        f"{prefix}.name": cookie,
        f"{prefix}.samesite": "none",
        f"{prefix}.secure": "true",
    }


def service(
    site: str,
    namespace: str,
    component: str,
    ports: Sequence[ServicePort],
    *,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    labels = component_labels(site, component)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(child_name(site, component), namespace, labels, annotations),
        "spec": {
            "type": "ClusterIP",
            "selector": dict(labels),
            "ports": [port.body() for port in ports],
        },
    }


def ingress(
    site: str,
    namespace: str,
    component: str,
    host: str,
    *,
    ingress_class: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    name = child_name(site, component)
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": name, "port": {"name": "http"}}},
                        }
                    ]
                },
            }
        ]
    }
    if ingress_class:
        spec["ingressClassName"] = ingress_class
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(name, namespace, component_labels(site, component), annotations),
        "spec": spec,
    }


def pod_disruption_budget(site: str, namespace: str, component: str, replicas: int) -> dict[str, Any] | None:
    """Keep one pod through voluntary disruptions — only meaningful, so only made, with more than one replica."""
    if replicas <= 1:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(child_name(site, component), namespace, component_labels(site, component)),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": selector_labels(site, component)}},
    }


def policy_rule(api_group: str, resources: Sequence[str], verbs: Sequence[str]) -> dict[str, Any]:
    return {"apiGroups": [api_group], "resources": list(resources), "verbs": list(verbs)}


def role(
    site: str, namespace: str, component: str, name: str, rules: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(name, namespace, component_labels(site, component)),
        "rules": [dict(rule) for rule in rules],
    }


def role_binding(
    site: str, namespace: str, component: str, name: str, role_name: str, service_account_name: str
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(name, namespace, component_labels(site, component)),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
        "subjects": [{"kind": "ServiceAccount", "name": service_account_name, "namespace": namespace}],
    }
