"""config/rbac/role.yaml is what `teamop.rbac` generates, and it grants exactly the declared rules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_manifests import CONFIG, find, rendered

from teamop.cli import main
from teamop.products import flightdeck, launcher_templates
from teamop.rbac import (
    CLUSTER_ROLE,
    GROUP,
    KINDS,
    LEADER_ELECTION_ROLE,
    LEADER_ELECTION_RULES,
    MANAGER_RULES,
    SERVICE_ACCOUNT,
    allowed,
    rendered_rbac_files,
)


def _rules(objects: list[dict[str, Any]], kind: str, name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = find(objects, kind, name)["rules"]
    return rules


def _triples(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(g, r, v) for rule in rules for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}


def test_committed_rbac_file_is_what_teamop_rbac_generates() -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in (CONFIG / "rbac").glob("*.yaml")
                 if path.name != "kustomization.yaml"}

    assert committed == rendered_rbac_files(), "run `teamop manifests` (or `make crds`) and commit config/rbac"


def test_manifests_command_writes_role_yaml_into_the_given_directory(tmp_path: Path) -> None:
    assert main(["manifests", "--out", str(tmp_path / "rbac")]) == 0

    assert {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "rbac").iterdir()} == rendered_rbac_files()


def test_the_manager_cluster_role_grants_exactly_the_declared_rules() -> None:
    objects = list(yaml.safe_load_all(rendered_rbac_files()["role.yaml"]))
    granted = _rules(objects, "ClusterRole", CLUSTER_ROLE)

    assert granted == [rule.as_policy_rule() for rule in MANAGER_RULES]
    assert all(rule.why for rule in MANAGER_RULES)
    # no wildcards, no privilege-escalation verbs, no resourceNames loopholes
    triples = _triples(granted)
    assert not {t for t in triples if "*" in t}
    assert not {t for t in triples if t[2] in ("escalate", "bind", "impersonate")}
    assert not any("nonResourceURLs" in rule for rule in granted)


def test_the_leader_election_role_is_only_for_leases() -> None:
    objects = list(yaml.safe_load_all(rendered_rbac_files()["role.yaml"]))

    assert _rules(objects, "Role", LEADER_ELECTION_ROLE) == [rule.as_policy_rule() for rule in LEADER_ELECTION_RULES]
    assert {(g, r) for g, r, _ in _triples(_rules(objects, "Role", LEADER_ELECTION_ROLE))} == {
        ("coordination.k8s.io", "leases")}
    # the manager's ClusterRole gives no Lease anywhere: the Role is bound in the operator's namespace only
    assert not any(rule.group == "coordination.k8s.io" for rule in MANAGER_RULES)


def test_the_operator_may_not_create_or_delete_sites_or_change_crds() -> None:
    assert not allowed(MANAGER_RULES, GROUP, "sites", "create")
    assert not allowed(MANAGER_RULES, GROUP, "sites", "delete")
    assert not allowed(MANAGER_RULES, GROUP, "sites", "update")
    for verb in ("create", "update", "patch", "delete"):
        assert not allowed(MANAGER_RULES, "apiextensions.k8s.io", "customresourcedefinitions", verb)


def test_rendered_bindings_bind_the_operator_service_account_in_posit_team_system() -> None:
    objects = rendered("default")
    account = find(objects, "ServiceAccount", SERVICE_ACCOUNT)
    subject = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": "posit-team-system"}

    assert account["metadata"]["namespace"] == "posit-team-system"
    assert find(objects, "ClusterRoleBinding", CLUSTER_ROLE)["subjects"] == [subject]
    binding = find(objects, "RoleBinding", LEADER_ELECTION_ROLE)
    assert binding["subjects"] == [subject]
    assert binding["metadata"]["namespace"] == "posit-team-system"
    assert find(objects, "Role", LEADER_ELECTION_ROLE)["metadata"]["namespace"] == "posit-team-system"
    deployment = find(objects, "Deployment", "teamop")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == SERVICE_ACCOUNT


def test_editor_and_viewer_roles_aggregate_into_edit_and_view() -> None:
    objects = rendered("default")
    editor = find(objects, "ClusterRole", "teamop-editor")
    viewer = find(objects, "ClusterRole", "teamop-viewer")

    assert editor["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    assert viewer["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    for kind in KINDS:
        assert (GROUP, kind, "create") in _triples(editor["rules"])
        assert (GROUP, kind, "list") in _triples(viewer["rules"])
        assert (GROUP, f"{kind}/status", "get") in _triples(viewer["rules"])
    assert {v for _, _, v in _triples(viewer["rules"])} == {"get", "list", "watch"}


def test_allowed_matches_group_resource_and_verb() -> None:
    assert allowed(MANAGER_RULES, "apps", "deployments", "patch")
    assert allowed(MANAGER_RULES, GROUP, "sites/status", "patch")
    assert not allowed(MANAGER_RULES, GROUP, "sites/status", "update")
    assert not allowed(MANAGER_RULES, "apps", "deployments/scale", "patch")
    assert not allowed(MANAGER_RULES, "", "nodes", "list")
    assert not allowed(MANAGER_RULES, "extensions", "deployments", "get")


@pytest.mark.parametrize(("product", "rules"), [
    ("connect and workbench launcher", launcher_templates.LAUNCHER_RULES),
    ("flightdeck", flightdeck.SITE_READER_RULES),
])
def test_the_operator_holds_every_permission_its_product_roles_grant(
    product: str, rules: Sequence[dict[str, Any]]
) -> None:
    """Kubernetes lets the operator create a Role only when it holds every permission the Role grants."""
    missing = sorted(t for t in _triples(list(rules)) if not allowed(MANAGER_RULES, *t))

    assert missing == [], f"add to teamop.rbac.MANAGER_RULES what the {product} Role grants"
