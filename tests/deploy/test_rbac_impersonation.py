"""The whole operator runs with the permissions config/rbac gives its ServiceAccount, and that is enough.

The rendered RBAC (ServiceAccount, manager ClusterRole and binding, leader-election Role and binding) is applied to
the test API server; the operator's client authenticates as the admin but impersonates
`system:serviceaccount:posit-team-system:teamop`, so the API server authorizes every request exactly as it would
for the Deployment's pods. A full Site is brought to Ready (with leader election on, as deployed), a product is
removed and the Site deleted, and then:
- no request got 403 Forbidden;
- every (group, resource, verb) the operator used is granted by a rule declared in `teamop.rbac`;
- the Roles teamop created for session launchers and Flightdeck grant nothing beyond what the operator holds
  (the API server's escalation check made them possible; this says why).
The test API server runs the OwnerReferencesPermissionEnforcement admission plugin (as OpenShift does): a child
whose ownerReference blocks its owner's deletion needs `update` on the owner's `finalizers`, so the run also proves
those rights. The editor and viewer ClusterRoles are checked through the built-in `edit` and `view` roles they
aggregate into (the controller manager runs the clusterrole-aggregation controller).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from deploy_manifests import rendered
from sites import apply, get, go_operator_secrets, sample_site

from teamop.api.v1beta1 import KINDS_BY_NAME
from teamop.controllers.registry import setup_operator
from teamop.rbac import CLUSTER_ROLE, LEADER_ELECTION_RULES, MANAGER_RULES, SERVICE_ACCOUNT, allowed
from teamop.runtime.client import Client
from teamop.runtime.manager import Manager
from teamop.runtime.requestcount import ApiRequest
from teamop.testing.controlplane import ControlPlane
from teamop.testing.kubeconfig import service_account_user, write_impersonating_kubeconfig
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import eventually, until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

OPERATOR_NAMESPACE = "posit-team-system"
MANAGED_BY = "app.kubernetes.io/managed-by=team-operator"
MANAGED_KINDS = ("connects,workbenches,packagemanagers,postgresdatabases,flightdecks,chronicles,deployments,"
                 "statefulsets,daemonsets,services,configmaps,secrets,serviceaccounts,roles,rolebindings,ingresses,"
                 "networkpolicies,poddisruptionbudgets,persistentvolumeclaims")
RBAC_KINDS = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
OPERATOR_USER = service_account_user(OPERATOR_NAMESPACE, SERVICE_ACCOUNT)
# The verbs the API server authorizes for each of the client's request verbs. A server-side apply is a patch, and
# also a create when it creates the object (answered 201).
RBAC_VERBS = {"get": ("get",), "list": ("list",), "watch": ("watch",), "create": ("create",), "patch": ("patch",),
              "update": ("update",), "delete": ("delete",), "apply": ("patch",)}


def rbac_verbs(request: ApiRequest) -> tuple[str, ...]:
    verbs = RBAC_VERBS[request.verb]
    return (*verbs, "create") if request.verb == "apply" and request.code == "201" else verbs


def used_permissions(requests: dict[ApiRequest, int]) -> set[tuple[str, str, str]]:
    """(group, resource, verb) of every resource request; discovery is a non-resource URL every user may read."""
    return {(r.group, r.resource, verb) for r in requests if r.verb != "discovery" for verb in rbac_verbs(r)}


# Declared permissions that a full Site's life in this test does not exercise, and why they are held anyway.
# (group, resource, verb); "*" matches any; the resource may be matched by its "/subresource" suffix.
NOT_EXERCISED: tuple[tuple[str, str, str, str], ...] = (
    ("*", "*", "delete", "pruning: objects a Site or product no longer renders are deleted (the test removes only "
                         "a Workbench; the garbage collector deletes the rest with the Site)"),
    ("*", "*", "get", "a read past the informer cache (the applier re-reads a live object it must delete; "
                      "generated Secrets are read back)"),
    ("*", "/finalizers", "update", "only the OwnerReferencesPermissionEnforcement admission plugin checks it"),
    ("", "persistentvolumes", "*", "only for a Site with spec.volumeSource"),
    ("k8s.keycloak.org", "keycloaks", "*", "only for a Site with keycloak.enabled and the Keycloak CRD installed"),
    ("core.posit.team", "sites", "patch", "the Site's finalizer, only while it owns PersistentVolumes"),
    ("events.k8s.io", "events", "patch", "an Event series: the same Event repeated"),
)


def not_exercised(group: str, resource: str, verb: str) -> str | None:
    for g, r, v, why in NOT_EXERCISED:
        if g in ("*", group) and v in ("*", verb) and (r in ("*", resource) or (r[0] == "/" and resource.endswith(r))):
            return why
    return None


def _as_list(objects: list[dict[str, Any]]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})


@pytest.fixture(scope="module")
def installed_rbac(controlplane: ControlPlane) -> Iterator[None]:
    """The rendered RBAC of config/default, applied for real; the cluster-wide grants are removed afterwards."""
    objects = [o for o in rendered("default") if o["kind"] in RBAC_KINDS]
    controlplane.kubectl("apply", "--server-side", "-f", "-", input=_as_list(objects))
    yield
    cluster_wide = [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    for obj in cluster_wide:
        controlplane.kubectl("delete", obj["kind"].lower(), obj["metadata"]["name"], "--ignore-not-found",
                             check=False)


def can_i(plane: ControlPlane, verb: str, resource: str, *scope: str) -> bool:
    result = plane.kubectl("auth", "can-i", verb, resource, f"--as={OPERATOR_USER}", *scope, check=False)
    return result.stdout.strip() == "yes"


@pytest.fixture
async def operator_client(controlplane: ControlPlane, installed_rbac: None, tmp_path: Path) -> AsyncIterator[Client]:
    # the authorizer learns of new bindings from its informers: wait until it says yes to both
    await until(lambda: can_i(controlplane, "list", "sites.core.posit.team", "--all-namespaces")
                and can_i(controlplane, "update", "leases.coordination.k8s.io", "-n", OPERATOR_NAMESPACE),
                timeout=30, what="the API server to authorize the operator's ServiceAccount")
    kubeconfig = write_impersonating_kubeconfig(controlplane.kubeconfig, tmp_path / "teamop-kubeconfig",
                                                OPERATOR_USER)
    client = await Client.from_kubeconfig(str(kubeconfig))
    yield client
    await client.close()


@contextlib.asynccontextmanager
async def running_operator(client: Client, namespace: str) -> AsyncIterator[Manager]:
    """The whole operator as `teamop run --leader-elect` runs it, watching `namespace`."""
    manager = Manager(client, namespaces=namespace, leader_election=True, lease_namespace=OPERATOR_NAMESPACE,
                      lease_name=f"teamop-rbac-{uuid.uuid4().hex[:6]}", health_addr=None, metrics_addr=None,
                      grace_period=10)
    setup_operator(manager)
    task = asyncio.get_running_loop().create_task(manager.run())
    try:
        yield manager
    finally:
        manager.request_stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        task.result()  # a manager that died of an error says so here


def site_ready(plane: ControlPlane, name: str, namespace: str) -> bool:
    site = get(plane, "site", name, namespace)
    return bool(site and (site.get("status") or {}).get("ready") is True)


def objects_in(plane: ControlPlane, kinds: str, namespace: str, *options: str) -> list[dict[str, Any]]:
    result = plane.kubectl("get", kinds, "-n", namespace, "-o", "json", *options)
    items: list[dict[str, Any]] = json.loads(result.stdout)["items"]
    return items


def policy_triples(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(g, r, v) for rule in rules for g in rule.get("apiGroups", []) for r in rule.get("resources", [])
            for v in rule.get("verbs", [])}


async def test_the_operator_needs_nothing_beyond_its_declared_rbac(
    controlplane: ControlPlane, thirdparty_crds: Callable[..., Awaitable[None]], namespace: str,
    operator_client: Client, postgres: PostgresServer
) -> None:
    await thirdparty_crds("middlewares", "secretproviderclasses")  # Traefik's Middlewares, the CSI driver's classes
    name = f"r{uuid.uuid4().hex[:6]}"
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    site = sample_site(name, namespace)
    site["spec"]["networkTrust"] = 50  # NetworkPolicies too
    site["spec"]["connect"]["replicas"] = 2  # and a PodDisruptionBudget
    # and a Connect whose secrets are in AWS Secrets Manager: its SecretProviderClass
    aws_site = {**sample_site(f"{name}a", namespace), "spec": {
        "workloadSecret": site["spec"]["workloadSecret"],
        "mainDatabaseCredentialSecret": site["spec"]["mainDatabaseCredentialSecret"],
        "domain": f"{name}a.example.test", "secret": {"type": "aws", "vaultName": f"{name}a.sites.posit.team"},
        "connect": {"auth": {"type": "password"}}}}
    apply(controlplane, site, aws_site)

    async with running_operator(operator_client, namespace) as manager:
        await until(lambda: site_ready(controlplane, name, namespace), timeout=150, what="the Site to be Ready")
        await until(lambda: get(controlplane, "secretproviderclass", f"{name}a-connect-secrets", namespace),
                    timeout=60, what="the AWS Site's SecretProviderClass")
        roles = objects_in(controlplane, "roles", namespace)
        created = objects_in(controlplane, MANAGED_KINDS, namespace, "-l", MANAGED_BY)

        # a product removed from the Site is deleted; its database's finalizer is the operator's to remove
        controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=json",
                             "-p", '[{"op": "remove", "path": "/spec/workbench"}]')
        await until(lambda: get(controlplane, "postgresdatabase", f"{name}-workbench", namespace) is None,
                    timeout=60, what="the Workbench's PostgresDatabase to be gone")
        # the whole Site deleted: the garbage collector deletes its children, the operator lets the databases go
        controlplane.kubectl("delete", "site", name, f"{name}a", "-n", namespace, "--wait=false")
        await until(lambda: not objects_in(controlplane, "postgresdatabases", namespace), timeout=60,
                    what="every PostgresDatabase to be gone")

    # leader election has a client of its own (same user, its own connection and counts)
    assert manager.elector is not None
    requests = Counter(operator_client.requests.snapshot().by_request)
    requests.update(manager.elector.client.requests.snapshot().by_request)
    assert {r: n for r, n in requests.items() if r.code in ("401", "403")} == {}

    # what the API server holds is what teamop.rbac declares
    live = json.loads(controlplane.kubectl("get", "clusterrole", CLUSTER_ROLE, "-o", "json").stdout)
    assert live["rules"] == [rule.as_policy_rule() for rule in MANAGER_RULES]

    used = used_permissions(requests)
    not_granted = sorted(p for p in used if not allowed((*MANAGER_RULES, *LEADER_ELECTION_RULES), *p))
    assert not_granted == [], "add these to teamop.rbac.MANAGER_RULES"
    # the run exercised what a Site needs: its kinds and their status, workloads, launcher RBAC, secrets, leases
    assert {("core.posit.team", "sites/status", "patch"), ("core.posit.team", "connects", "create"),
            ("core.posit.team", "workbenches", "delete"), ("core.posit.team", "postgresdatabases", "patch"),
            ("apps", "deployments", "create"), ("apps", "statefulsets", "create"), ("", "secrets", "get"),
            ("rbac.authorization.k8s.io", "roles", "create"), ("rbac.authorization.k8s.io", "rolebindings", "create"),
            ("events.k8s.io", "events", "create"), ("coordination.k8s.io", "leases", "update"),
            ("networking.k8s.io", "networkpolicies", "create"), ("policy", "poddisruptionbudgets", "create"),
            ("traefik.io", "middlewares", "create"), ("traefik.io", "middlewares", "watch"),
            ("secrets-store.csi.x-k8s.io", "secretproviderclasses", "create"),
            ("secrets-store.csi.x-k8s.io", "secretproviderclasses", "watch"),
            ("apiextensions.k8s.io", "customresourcedefinitions", "list"),
            ("apiextensions.k8s.io", "customresourcedefinitions", "watch"),
            ("apiextensions.k8s.io", "customresourcedefinitions", "get")} <= used

    # Nothing more is granted: every declared permission was used, or is held to be granted to a product's Role,
    # or belongs to a path this Site does not take (said why in NOT_EXERCISED).
    granted_to_roles = {t for role in roles for t in policy_triples(role["rules"])}
    unexplained = sorted(
        (group, resource, verb) for rule in (*MANAGER_RULES, *LEADER_ELECTION_RULES)
        for group, resource, verb in ((rule.group, res, v) for res in rule.resources for v in rule.verbs)
        if (group, resource, verb) not in used and (group, resource, verb) not in granted_to_roles
        and not_exercised(group, resource, verb) is None
    )
    assert unexplained == [], f"granted, neither used nor explained (drop from teamop.rbac or say why): {unexplained}"

    # The launcher and Flightdeck Roles were created (no 403 above): RBAC's escalation check let the operator grant
    # them because it holds every permission in them.
    assert {r["metadata"]["name"] for r in roles} >= {f"{name}-connect", f"{name}-workbench"}
    for role in roles:
        beyond = sorted(t for t in policy_triples(role["rules"]) if not allowed(MANAGER_RULES, *t))
        assert beyond == [], f"Role {role['metadata']['name']} grants what the operator does not hold"

    # Owner references that block the owner's deletion need `update` on <owner>/finalizers where the
    # OwnerReferencesPermissionEnforcement admission plugin is on (OpenShift): held for every owner kind used.
    assert created
    for obj in created:
        for ref in obj["metadata"].get("ownerReferences", []):
            if ref.get("blockOwnerDeletion"):
                group = ref["apiVersion"].rpartition("/")[0]
                assert group == "core.posit.team", ref
                plural = KINDS_BY_NAME[ref["kind"]].plural
                assert allowed(MANAGER_RULES, group, f"{plural}/finalizers", "update"), ref


def can(plane: ControlPlane, user: str, verb: str, resource: str, namespace: str) -> bool:
    result = plane.kubectl("auth", "can-i", verb, resource, f"--as={user}", "-n", namespace, check=False)
    return result.stdout.strip() == "yes"


def test_namespace_editors_manage_sites_through_the_built_in_edit_role(
    controlplane: ControlPlane, installed_rbac: None, namespace: str
) -> None:
    controlplane.kubectl("create", "rolebinding", "alice-edits", "--clusterrole=edit", "--user=alice",
                         "-n", namespace)

    # the clusterrole-aggregation controller copies teamop-editor's rules into `edit`
    eventually(lambda: can(controlplane, "alice", "create", "sites.core.posit.team", namespace),
               timeout=30, what="alice may create Sites")
    assert can(controlplane, "alice", "delete", "connects.core.posit.team", namespace)
    assert not can(controlplane, "alice", "create", "sites.core.posit.team", "default")


def test_namespace_viewers_read_sites_but_cannot_change_them(
    controlplane: ControlPlane, installed_rbac: None, namespace: str
) -> None:
    controlplane.kubectl("create", "rolebinding", "bob-views", "--clusterrole=view", "--user=bob", "-n", namespace)

    eventually(lambda: can(controlplane, "bob", "list", "sites.core.posit.team", namespace),
               timeout=30, what="bob may list Sites")
    assert can(controlplane, "bob", "get", "workbenches.core.posit.team", namespace)
    assert not can(controlplane, "bob", "patch", "sites.core.posit.team", namespace)
