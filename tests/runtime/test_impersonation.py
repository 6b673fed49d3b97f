"""The client honours a kubeconfig's impersonation (`as`, `as-groups`, ...), which kubernetes-asyncio ignores, and
counts each request with its API group and status code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from teamop.runtime import errors
from teamop.runtime.client import Client
from teamop.runtime.kinds import GVK
from teamop.runtime.requestcount import ApiRequest, RequestCounter
from teamop.runtime.transport import Impersonation, api_group_of
from teamop.testing.controlplane import ControlPlane
from teamop.testing.kubeconfig import write_impersonating_kubeconfig
from teamop.testing.wait import eventually_async

CONFIGMAP = GVK("", "v1", "ConfigMap")
SELF_SUBJECT_REVIEW = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}


def test_a_kubeconfig_user_entry_becomes_impersonation_headers() -> None:
    impersonation = Impersonation.from_kubeconfig_user({
        "client-certificate-data": "...",
        "as": "jane",
        "as-groups": ["team-a", "team-b"],
        "as-uid": "1234",
        "as-user-extra": {"scopes": ["view", "edit"], "example.org/ticket": ["42"]},
    })

    assert impersonation is not None
    assert impersonation.headers() == [
        ("Impersonate-User", "jane"),
        ("Impersonate-Group", "team-a"),
        ("Impersonate-Group", "team-b"),
        ("Impersonate-Uid", "1234"),
        ("Impersonate-Extra-scopes", "view"),
        ("Impersonate-Extra-scopes", "edit"),
        ("Impersonate-Extra-example.org%2Fticket", "42"),
    ]


def test_no_impersonation_without_as() -> None:
    assert Impersonation.from_kubeconfig_user({"token": "t"}) is None
    assert Impersonation.from_kubeconfig_user(None) is None
    with pytest.raises(ValueError, match="need `as`"):
        Impersonation.from_kubeconfig_user({"as-groups": ["team-a"]})


def test_api_group_of_a_request_path() -> None:
    assert api_group_of("/api/v1/namespaces/x/configmaps/y") == ""
    assert api_group_of("/apis/apps/v1/deployments") == "apps"
    assert api_group_of("/apis/core.posit.team/v1beta1/namespaces/x/sites/y/status") == "core.posit.team"
    assert api_group_of("/apis") == ""


def test_request_counter_keeps_verb_group_resource_and_code_together() -> None:
    counter = RequestCounter(CollectorRegistry())
    counter.record("GET", 200, "get", "deployments", "apps")
    counter.record("PATCH", 403, "apply", "roles", "rbac.authorization.k8s.io")
    counter.record("GET", None, "watch", "configmaps")

    snapshot = counter.snapshot()
    assert snapshot.by_request == {
        ApiRequest("get", "apps", "deployments", "200"): 1,
        ApiRequest("apply", "rbac.authorization.k8s.io", "roles", "403"): 1,
        ApiRequest("watch", "", "configmaps", "<error>"): 1,
    }
    assert snapshot.with_code(403) == {ApiRequest("apply", "rbac.authorization.k8s.io", "roles", "403"): 1}
    assert (counter.snapshot() - snapshot).by_request == {}


# -- against the real API server -----------------------------------------------------------------------------------


@pytest.fixture
async def jane(controlplane: ControlPlane, tmp_path: Path) -> AsyncIterator[Client]:
    kubeconfig = write_impersonating_kubeconfig(controlplane.kubeconfig, tmp_path / "jane", "jane", ["team-a"])
    client = await Client.from_kubeconfig(str(kubeconfig), registry=CollectorRegistry())
    yield client
    await client.close()


@pytest.mark.controlplane
async def test_the_api_server_sees_the_impersonated_user(jane: Client) -> None:
    review = await jane.create(SELF_SUBJECT_REVIEW)

    user = review["status"]["userInfo"]
    assert user["username"] == "jane"
    assert "team-a" in user["groups"]
    assert "system:masters" not in user["groups"]


@pytest.mark.controlplane
async def test_requests_are_authorized_as_the_impersonated_user(
    jane: Client, controlplane: ControlPlane, namespace: str
) -> None:
    controlplane.kubectl("create", "configmap", "c", "-n", namespace)
    with pytest.raises(errors.Forbidden):
        await jane.get(CONFIGMAP, "c", namespace)

    assert jane.requests.snapshot().with_code(403) == {ApiRequest("get", "", "configmaps", "403"): 1}

    controlplane.kubectl("create", "role", "read-configmaps", "--verb=get", "--resource=configmaps", "-n", namespace)
    controlplane.kubectl("create", "rolebinding", "jane-reads", "--role=read-configmaps", "--user=jane",
                         "-n", namespace)
    # the authorizer sees the new binding once its informer has it
    await eventually_async(lambda: jane.get(CONFIGMAP, "c", namespace), timeout=10, what="jane may read")
    assert jane.requests.snapshot().by_request[ApiRequest("get", "", "configmaps", "200")] == 1
