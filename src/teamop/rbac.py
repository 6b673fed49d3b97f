"""The permissions teamop's controllers use, declared once; `config/rbac/` is generated from this list.

Why each rule is there is said beside it. Roles teamop creates for session launchers (Connect, Workbench) and for
Flightdeck grant permissions that Kubernetes only lets a creator grant when it holds them itself (RBAC escalation
prevention), so those permissions appear here too instead of the broader `escalate`/`bind` verbs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GROUP = "core.posit.team"
KINDS = ("sites", "connects", "workbenches", "packagemanagers", "postgresdatabases", "flightdecks", "chronicles")
READ = ("get", "list", "watch")
MANAGE = ("get", "list", "watch", "create", "update", "patch", "delete")


@dataclass(frozen=True)
class Rule:
    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    why: str

    def as_policy_rule(self) -> dict[str, Any]:
        return {"apiGroups": [self.group], "resources": list(self.resources), "verbs": list(self.verbs)}


MANAGER_RULES: tuple[Rule, ...] = (
    Rule(GROUP, KINDS, MANAGE, "Site and product resources: watched, and products created from Sites"),
    Rule(GROUP, tuple(f"{k}/status" for k in KINDS), ("get", "update", "patch"), "status of every kind"),
    Rule(GROUP, tuple(f"{k}/finalizers" for k in KINDS), ("update",), "finalizers on objects it owns"),
    Rule("", ("configmaps", "secrets", "services", "serviceaccounts", "persistentvolumeclaims"), MANAGE,
         "children of products; Secrets also read for database credentials and keys"),
    Rule("", ("persistentvolumes",), MANAGE, "PVs for a Site's volumeSource (cluster-scoped)"),
    Rule("", ("events",), ("create", "patch"), "Events on the objects it reconciles"),
    Rule("events.k8s.io", ("events",), ("create", "patch"), "Events on the objects it reconciles"),
    Rule("apps", ("deployments", "statefulsets", "daemonsets"), MANAGE, "product workloads, image pre-pull"),
    Rule("networking.k8s.io", ("ingresses", "networkpolicies"), MANAGE, "product ingresses, network policies"),
    Rule("policy", ("poddisruptionbudgets",), MANAGE, "PodDisruptionBudgets of replicated products"),
    Rule("rbac.authorization.k8s.io", ("roles", "rolebindings"), MANAGE, "launcher and Flightdeck roles"),
    Rule("apiextensions.k8s.io", ("customresourcedefinitions",), READ, "is the Keycloak CRD installed?"),
    Rule("k8s.keycloak.org", ("keycloaks",), MANAGE, "Keycloak for a Site with keycloak.enabled"),
    # Held only so that the launcher Roles it creates may grant them (see the module docstring):
    Rule("", ("pods", "pods/attach", "pods/exec"), MANAGE, "granted to session launchers; pods read for status"),
    Rule("", ("pods/log",), READ, "granted to session launchers"),
    Rule("batch", ("jobs",), MANAGE, "granted to session launchers"),
    Rule("metrics.k8s.io", ("pods",), ("get",), "granted to session launchers"),
)

LEADER_ELECTION_RULES: tuple[Rule, ...] = (
    Rule("coordination.k8s.io", ("leases",), MANAGE, "leader election"),
    Rule("", ("events",), ("create", "patch"), "leader election events"),
)

SERVICE_ACCOUNT = "teamop"
CLUSTER_ROLE = "teamop-manager"
LEADER_ELECTION_ROLE = "teamop-leader-election"


def _labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": "teamop", "app.kubernetes.io/part-of": "teamop"}


def rbac_objects() -> list[dict[str, Any]]:
    """ServiceAccount, the manager ClusterRole and binding, the leader-election Role and binding, and the
    editor/viewer ClusterRoles that aggregate into the built-in `edit` and `view` roles."""
    subject = [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": "system"}]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": SERVICE_ACCOUNT, "namespace": "system",
                                                                     "labels": _labels()}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": CLUSTER_ROLE, "labels": _labels()},
            "rules": [rule.as_policy_rule() for rule in MANAGER_RULES],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": CLUSTER_ROLE, "labels": _labels()},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTER_ROLE},
            "subjects": subject,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": LEADER_ELECTION_ROLE, "namespace": "system", "labels": _labels()},
            "rules": [rule.as_policy_rule() for rule in LEADER_ELECTION_RULES],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": LEADER_ELECTION_ROLE, "namespace": "system", "labels": _labels()},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": LEADER_ELECTION_ROLE},
            "subjects": subject,
        },
        _aggregated_role("teamop-editor", "edit", MANAGE),
        _aggregated_role("teamop-viewer", "view", READ),
    ]


def _aggregated_role(name: str, aggregate_to: str, verbs: tuple[str, ...]) -> dict[str, Any]:
    rules = [{"apiGroups": [GROUP], "resources": list(KINDS), "verbs": list(verbs)},
             {"apiGroups": [GROUP], "resources": [f"{k}/status" for k in KINDS], "verbs": ["get"]}]
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": name,
            "labels": {**_labels(), f"rbac.authorization.k8s.io/aggregate-to-{aggregate_to}": "true"},
        },
        "rules": rules,
    }
