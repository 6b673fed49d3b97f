"""`teamop render` of a Site with `secret.type: aws` shows what the controllers apply: the SecretProviderClasses,
env read from the Secrets the CSI driver syncs, and nothing generated for the keys AWS holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from teamop.cli import main

SITE = Path(__file__).resolve().parents[1] / "reference" / "aws" / "site" / "Site-test.yaml"


def rendered(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    assert main(["render", str(SITE), "--namespace", "posit-team"]) == 0
    return [o for o in yaml.safe_load_all(capsys.readouterr().out) if o]


def test_render_shows_each_products_secret_provider_class(capsys: pytest.CaptureFixture[str]) -> None:
    names = {o["metadata"]["name"] for o in rendered(capsys) if o["kind"] == "SecretProviderClass"}
    assert names == {"test-connect-secrets", "test-connect-site-session", "test-workbench-secrets",
                     "test-packagemanager-secrets", "test-packagemanager-ssh-secrets"}


def test_render_reads_the_database_passwords_from_the_synced_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    objects = rendered(capsys)
    env = {(o["metadata"]["name"], e["name"]): e.get("valueFrom", {}).get("secretKeyRef")
           for o in objects if o["kind"] == "Deployment"
           for e in o["spec"]["template"]["spec"]["containers"][0].get("env") or []}
    assert env[("test-connect", "CONNECT_POSTGRES_PASSWORD")] == {"name": "test-connect-db", "key": "password"}
    assert env[("test-workbench", "WORKBENCH_POSTGRES_PASSWORD")] == {"name": "test-workbench-secret",
                                                                     "key": "dev-db-password"}
    assert env[("test-packagemanager", "PACKAGEMANAGER_SECRET_KEY")] == {"name": "test-packagemanager-key",
                                                                        "key": "key"}


def test_render_generates_nothing_aws_holds(capsys: pytest.CaptureFixture[str]) -> None:
    generated = {o["metadata"]["name"]: set(o.get("data") or {}) for o in rendered(capsys)
                 if o["kind"] == "Secret" and o["metadata"]["name"].endswith("-generated")}
    assert "test-connect-generated" not in generated
    assert "test-packagemanager-generated" not in generated
    assert "dev-db-password" not in generated.get("test-workbench-generated", set())
