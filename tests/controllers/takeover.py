"""What the Go operator leaves behind, and what a product's pods read, for the takeover tests (not a test module)."""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
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


def differing(found: Mapping[str, str | None], expected: Mapping[str, str]) -> list[str]:
    """The names whose values differ (or are missing), never the values: a failing test must not print a key."""
    return sorted(name for name in {*found, *expected} if found.get(name) != expected.get(name))


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
    """The object as kubectl shows it, with its managedFields."""
    result = plane.kubectl("get", kind, name, "-n", namespace, "-o", "json", "--show-managed-fields", check=False)
    if result.returncode != 0:
        return None
    obj: dict[str, Any] = json.loads(result.stdout)
    return obj


def items(plane: ControlPlane, kind: str, namespace: str, *selector: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(
        plane.kubectl("get", kind, "-n", namespace, *selector, "-o", "json", "--show-managed-fields").stdout)["items"]
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


# -- the Go operator's objects for the reference's sample Site (tests/reference/rendered) -------------------------

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "rendered"
OMITTED = "<generated or copied value, omitted>"
"""How the reference shows a Secret value."""
SET_BY_THE_CLUSTER_ANNOTATIONS = ("deployment.kubernetes.io/revision", "deprecated.daemonset.template.generation")
"""Annotations the cluster's controllers put on the live objects the reference was taken from: not the Go
operator's writes, so not created here."""
REFERENCE_NAMESPACE = re.compile(r"posit-team(?!\.posit\.co)")
"""The reference's namespace wherever it is spelled (labels, URLs, Traefik middleware names, the launcher's
namespace), but not in the finalizer `posit-team.posit.co`."""
REFERENCE_DATABASE = "postgres.example.test:5432"


def load_reference(path: Path) -> dict[str, Any]:
    obj: dict[str, Any] = yaml.safe_load(path.read_text())
    return obj


def reference_site() -> dict[str, Any]:
    return load_reference(REFERENCE / "Site-test.yaml")


def reference_products() -> list[dict[str, Any]]:
    """The product resources the Go Site controller created (Connect, Workbench, PackageManager, Chronicle,
    Flightdeck)."""
    return [load_reference(REFERENCE / f"{kind}-test.yaml")
            for kind in ("Connect", "Workbench", "PackageManager", "Chronicle", "Flightdeck")]


def reference_children() -> list[dict[str, Any]]:
    """The PostgresDatabases (the products' and Keycloak's) and the Kubernetes objects the Go operator created."""
    paths = [*sorted(REFERENCE.glob("PostgresDatabase-*.yaml")), *sorted((REFERENCE / "test_site").glob("*.yaml"))]
    return list(map(load_reference, paths))


def adapted(obj: Any, *, namespace: str, database: str) -> Any:
    """`obj` with the reference's namespace and database server replaced by the test cluster's."""
    if isinstance(obj, dict):
        return {key: adapted(value, namespace=namespace, database=database) for key, value in obj.items()}
    if isinstance(obj, list):
        return [adapted(value, namespace=namespace, database=database) for value in obj]
    if isinstance(obj, str):
        return REFERENCE_NAMESPACE.sub(namespace, obj.replace(REFERENCE_DATABASE, database))
    return obj


def as_go_creates_it(obj: dict[str, Any], owner_uids: Mapping[tuple[str, str], str]) -> dict[str, Any]:
    """The object as the Go operator's create sent it: owner references with the owners' uids, without what the
    cluster added afterwards (controller annotations, the PVC protection finalizer)."""
    obj = copy.deepcopy(obj)
    metadata = obj["metadata"]
    for reference in metadata.get("ownerReferences") or []:
        reference["uid"] = owner_uids[(reference["kind"], reference["name"])]
    annotations = metadata.get("annotations") or {}
    for key in SET_BY_THE_CLUSTER_ANNOTATIONS:
        annotations.pop(key, None)
    if not annotations:
        metadata.pop("annotations", None)
    if obj["kind"] == "PersistentVolumeClaim":
        metadata.pop("finalizers", None)
    return obj


def with_secret_values(secret: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """A reference Secret with each omitted value replaced by `values[key]` (base64, as a create sends it)."""
    secret = copy.deepcopy(secret)
    secret["data"] = {key: base64.b64encode((values[key] if value == OMITTED else value).encode()).decode()
                      for key, value in (secret.get("data") or {}).items()}
    return secret


def update_fields_left(obj: Mapping[str, Any], manager: str) -> list[dict[str, Any]]:
    """The fields `manager` still owns through Update (operation Update), but for `metadata.finalizers`: those
    stay with the manager that adds and removes them by patch, which is teamop's own finalizer writer too."""
    left = []
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") != manager or entry.get("operation") != "Update":
            continue
        fields = copy.deepcopy(entry.get("fieldsV1") or {})
        metadata = fields.get("f:metadata") or {}
        metadata.pop("f:finalizers", None)
        if not metadata:
            fields.pop("f:metadata", None)
        if fields:
            left.append({"subresource": entry.get("subresource", ""), "fields": fields})
    return left


def gcfg_section(text: str, section: str) -> dict[str, str]:
    """The `key = value` lines of one `[section]` of a gcfg file."""
    values: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
        elif current == section and "=" in stripped:
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values
