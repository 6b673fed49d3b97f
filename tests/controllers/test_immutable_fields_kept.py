"""An object the Go operator made that differs from the Site in a field the API server will not change: teamop
adopts it as it is and says so (COMPAT.md: "a condition explains a difference teamop cannot apply")."""

from __future__ import annotations

import json
import uuid

import pytest
from sites import apply, condition, get, go_operator_secrets, sample_site

from teamop.controllers import site as site_controller
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane]


async def test_a_shared_claim_made_with_other_access_modes_is_kept_and_the_site_says_so(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory, postgres: PostgresServer
) -> None:
    name = f"s{uuid.uuid4().hex[:6]}"
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"name": f"{name}-shared", "namespace": namespace},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}
    controlplane.kubectl("create", "--field-manager=team-operator", "-f", "-", input=json.dumps(claim))
    # Bound, so it holds data (a claim never bound is replaced instead: it has nothing to lose).
    before = await until(lambda: (c := get(controlplane, "pvc", f"{name}-shared", namespace))
                         and (c.get("status") or {}).get("phase") == "Bound" and c,
                         timeout=60, what="the claim bound by the provisioner")
    site = sample_site(name, namespace)
    site["spec"]["sharedDirectory"] = "shared"
    apply(controlplane, *go_operator_secrets(name, namespace, postgres), site)

    await operator([site_controller.setup], namespaces=namespace)

    kept = await until(lambda: condition(get(controlplane, "site", name, namespace), "ImmutableFieldsKept"),
                       timeout=60, what="the ImmutableFieldsKept condition")
    assert kept["status"] == "True"
    assert kept["reason"] == "ImmutableFieldDiffers"
    assert (f'PersistentVolumeClaim {namespace}/{name}-shared spec.accessModes: kept ["ReadWriteOnce"], '
            f'desired ["ReadWriteMany"]') in kept["message"]
    live = get(controlplane, "pvc", f"{name}-shared", namespace)
    assert live is not None
    assert live["metadata"]["uid"] == before["metadata"]["uid"]
    assert live["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert live["metadata"]["ownerReferences"][0]["name"] == name
    events = json.loads(controlplane.kubectl(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name},type=Warning",
        "-o", "json").stdout)["items"]
    assert any(e["reason"] == "ImmutableFieldDiffers" and f"{name}-shared" in e["message"] for e in events)


async def test_a_site_whose_objects_match_has_no_such_condition(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory, postgres: PostgresServer
) -> None:
    name = f"s{uuid.uuid4().hex[:6]}"
    site = sample_site(name, namespace)
    site["spec"]["sharedDirectory"] = "shared"
    apply(controlplane, *go_operator_secrets(name, namespace, postgres), site)

    await operator([site_controller.setup], namespaces=namespace)

    written = await until(lambda: (s := get(controlplane, "site", name, namespace)) and condition(s, "Ready") and s,
                          timeout=60, what="the Site's status")
    assert get(controlplane, "pvc", f"{name}-shared", namespace) is not None
    assert condition(written, "ImmutableFieldsKept") == {}
