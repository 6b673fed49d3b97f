"""What the Go operator leaves behind, and what a product's pods read, for the takeover tests (not a test module)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from teamop.testing.controlplane import ControlPlane

GO_FIELD_MANAGER = "team-operator"
"""The Go operator's field manager: its binary's name. It writes with create/update (operation Update)."""


@dataclass(frozen=True)
class GoKeys:
    """Known values for the keys the Go operator keeps in `<site>-<component>-key`."""

    connect: str
    package_manager: str
    workbench_cookie: str
    launcher_pem: str
    launcher_pub: str
    testuser_password: str

    @classmethod
    def new(cls) -> GoKeys:
        """Values in the Go operator's formats: hex keys, a PKCS#1 RSA pair ("RSA PRIVATE/PUBLIC KEY")."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption()).decode()
        pub = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.PKCS1).decode()
        return cls(connect=secrets.token_hex(32), package_manager=secrets.token_hex(32),
                   workbench_cookie=secrets.token_hex(32), launcher_pem=pem, launcher_pub=pub,
                   testuser_password=secrets.token_hex(16))

    def data(self, component: str) -> dict[str, str]:
        """The `-key` Secret's data of `component`, as the Go operator writes it."""
        if component == "connect":
            return {"key": self.connect}
        if component == "packagemanager":
            return {"key": self.package_manager}
        return {"key": self.workbench_cookie, "launcher.pem": self.launcher_pem, "launcher.pub": self.launcher_pub,
                "testuser-password": self.testuser_password}


def owner_reference(owner: Mapping[str, Any], *, controller: bool) -> dict[str, Any]:
    reference = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
                 "uid": owner["metadata"]["uid"]}
    if controller:
        reference |= {"controller": True, "blockOwnerDeletion": True}
    return reference


def key_secret(site: str, namespace: str, component: str, keys: GoKeys, owner: Mapping[str, Any], *,
               controller: bool) -> dict[str, Any]:
    """`<site>-<component>-key` as the Go operator creates it (rendered/test_site/Secret-test-workbench-key.yaml):
    the managed-by label only and an ownerReference to the product resource (without `controller` there; with
    `controller=True` it is the harder case for teamop's garbage collection of children no longer desired)."""
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": f"{site}-{component}-key", "namespace": namespace,
                     "labels": {"app.kubernetes.io/managed-by": "team-operator"},
                     "ownerReferences": [owner_reference(owner, controller=controller)]},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in keys.data(component).items()},
    }


def get(plane: ControlPlane, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    result = plane.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    if result.returncode != 0:
        return None
    obj: dict[str, Any] = json.loads(result.stdout)
    return obj


def items(plane: ControlPlane, kind: str, namespace: str, *selector: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(
        plane.kubectl("get", kind, "-n", namespace, *selector, "-o", "json").stdout)["items"]
    return found


def secret_value(plane: ControlPlane, namespace: str, name: str, key: str) -> str | None:
    value = ((get(plane, "secret", name, namespace) or {}).get("data") or {}).get(key)
    return base64.b64decode(value).decode() if value is not None else None


def running_pods(plane: ControlPlane, namespace: str, instance: str) -> list[dict[str, Any]]:
    """The pods of a workload (instance label), leaving out those being deleted."""
    pods = items(plane, "pods", namespace, "-l", f"app.kubernetes.io/instance={instance}")
    return [pod for pod in pods if not pod["metadata"].get("deletionTimestamp")]


def file_in_volume(plane: ControlPlane, namespace: str, pod: Mapping[str, Any], volume: str, path: str) -> str | None:
    """The text the kubelet puts at `path` inside the pod's Secret (or projected Secrets) volume `volume`."""
    spec = next(v for v in pod["spec"]["volumes"] if v["name"] == volume)
    sources = ([{"name": spec["secret"]["secretName"], "items": spec["secret"].get("items")}] if "secret" in spec
               else [s["secret"] for s in spec["projected"]["sources"] if "secret" in s])
    for source in sources:
        for item in source.get("items") or []:
            if item["path"] == path:
                return secret_value(plane, namespace, source["name"], item["key"])
    return None


def env_value(plane: ControlPlane, namespace: str, pod: Mapping[str, Any], name: str) -> str | None:
    """The value of env variable `name` in the pod's first container, following `secretKeyRef`."""
    for env in pod["spec"]["containers"][0].get("env") or []:
        if env["name"] == name:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            return secret_value(plane, namespace, ref["name"], ref["key"]) if ref else env.get("value")
    return None


def events(plane: ControlPlane, namespace: str, kind: str, name: str, reason: str) -> list[dict[str, Any]]:
    """Events (events.k8s.io) about one object with one reason."""
    return [e for e in items(plane, "events.events.k8s.io", namespace)
            if e.get("reason") == reason and (e.get("regarding") or {}).get("kind") == kind
            and (e.get("regarding") or {}).get("name") == name]
