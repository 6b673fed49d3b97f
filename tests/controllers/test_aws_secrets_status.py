"""The `SecretsSynced` condition of a product with `secret.type: aws`, and why it is not Ready yet."""

from __future__ import annotations

from typing import Any

from teamop.controllers.aws_secrets import AwsKeys, set_secrets_synced
from teamop.controllers.generated import ResolvedSecrets
from teamop.runtime.conditions import Conditions


def fresh() -> Conditions:
    return Conditions([], observed_generation=1)


def secrets_synced(conditions: Conditions) -> dict[str, Any] | None:
    return next((c for c in conditions.items if c["type"] == "SecretsSynced"), None)


def keys(missing: list[str], *, served: bool = True) -> AwsKeys:
    return AwsKeys(ResolvedSecrets(), missing, ["orbit-connect-secrets"], served)


def test_missing_synced_secrets_are_named_and_keep_the_product_from_ready() -> None:
    conditions = fresh()
    waiting = set_secrets_synced(conditions, keys(["orbit-connect-db", "orbit-connect-secret-key"]))
    assert waiting is not None
    condition = secrets_synced(conditions)
    assert condition is not None
    assert (condition["status"], condition["reason"]) == ("False", "WaitingForSecretSync")
    assert "orbit-connect-db, orbit-connect-secret-key" in condition["message"]
    assert "orbit-connect-secrets" in condition["message"]


def test_without_the_crd_the_condition_names_it() -> None:
    conditions = fresh()
    waiting = set_secrets_synced(conditions, keys([], served=False))
    condition = secrets_synced(conditions)
    assert condition is not None
    assert condition["reason"] == "SecretProviderClassCRDMissing"
    assert waiting is not None
    assert "secretproviderclasses.secrets-store.csi.x-k8s.io" in waiting


def test_every_secret_synced_is_true_and_lets_the_product_be_ready() -> None:
    conditions = fresh()
    assert set_secrets_synced(conditions, keys([])) is None
    condition = secrets_synced(conditions)
    assert condition is not None
    assert condition["status"] == "True"


def test_a_product_of_kubernetes_secrets_has_no_such_condition() -> None:
    conditions = fresh()
    set_secrets_synced(conditions, keys([]))
    assert set_secrets_synced(conditions, None) is None
    assert secrets_synced(conditions) is None
