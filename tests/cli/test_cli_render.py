"""`teamop render`: every object the operator would create for a Site, with no cluster; a bad manifest fails
naming each field; no secret value is ever shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from teamop.cli import main
from teamop.products import images

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "config" / "samples"
GOLDEN = Path(__file__).parent / "golden"
NAMESPACE = "posit-team"


def render(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["render", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_site(path: Path, spec: dict[str, Any], name: str = "orbit") -> Path:
    path.write_text(yaml.safe_dump({"apiVersion": "core.posit.team/v1beta1", "kind": "Site",
                                    "metadata": {"name": name}, "spec": spec}))
    return path


@pytest.mark.parametrize("sample", ["site-minimal", "site-full"])
def test_render_of_the_samples_matches_the_golden_files(capsys: pytest.CaptureFixture[str], sample: str) -> None:
    code, out, _ = render(capsys, str(SAMPLES / f"{sample}.yaml"), "--namespace", NAMESPACE)

    assert code == 0
    golden = GOLDEN / f"{sample}.yaml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(out)
    assert out == golden.read_text(), f"{golden.name} differs (UPDATE_GOLDEN=1 pytest tests/cli rewrites it)"


def test_render_is_in_apply_order_site_children_then_each_products_objects(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = render(capsys, str(SAMPLES / "site-full.yaml"))

    objects = [o for o in yaml.safe_load_all(out) if o]
    owners = [line.split("(owner: ")[1].rstrip(")") for line in out.splitlines() if line.startswith("# ")]
    assert len(owners) == len(objects)
    products = ["Connect", "Workbench", "PackageManager", "Chronicle", "Flightdeck"]
    assert [o["kind"] for o in objects[:5]] == products
    assert all(o["metadata"]["namespace"] == "default" for o in objects)
    # then each product's own objects, the product's generated Secret last
    product_owners = [o for o in owners if not o.startswith("Site/")]
    assert list(dict.fromkeys(product_owners)) == [f"{kind}/orbit" for kind in products]
    connect = [o for o, owner in zip(objects, owners, strict=True) if owner == "Connect/orbit"]
    assert connect[-1]["metadata"]["name"] == "orbit-connect-generated"
    assert [o["kind"] for o in connect].index("Deployment") < [o["kind"] for o in connect].index("Ingress")
    chronicle = [o["kind"] for o, owner in zip(objects, owners, strict=True) if owner == "Chronicle/orbit"]
    assert "StatefulSet" in chronicle
    assert all(o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "team-operator" for o in objects)


def test_render_into_a_directory_writes_one_numbered_file_per_object(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    _, printed, _ = render(capsys, str(SAMPLES / "site-minimal.yaml"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "999-Stale-old.yaml").write_text("kind: Stale\n")

    code, out, err = render(capsys, str(SAMPLES / "site-minimal.yaml"), "--out", str(tmp_path / "out"))

    assert code == 0
    assert out == ""
    files = sorted((tmp_path / "out").iterdir())
    assert f"wrote {len(files)} objects" in err
    assert files[0].name == "001-Connect-orbit.yaml"
    assert files[-1].name == f"{len(files):03d}-Ingress-orbit-flightdeck.yaml"
    assert "".join("---\n" + f.read_text() for f in files) == printed


def test_the_database_url_gives_only_the_server_and_no_secret_value_is_ever_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    spec = yaml.safe_load((SAMPLES / "site-full.yaml").read_text())["spec"]
    spec["connect"]["license"] = {"type": "KEY", "key": "CONNECT-LICENCE-KEY-1234"}
    spec["packageManager"]["license"] = {"type": "KEY", "key": "PM-LICENCE-KEY-5678"}
    manifest = write_site(tmp_path / "site.yaml", spec)

    code, out, err = render(capsys, str(manifest), "--database-url",
                            "postgresql://admin:hunter2-pw@db.internal:6432/postgres?sslmode=require")

    assert code == 0
    for secret in ("hunter2-pw", "CONNECT-LICENCE-KEY-1234", "PM-LICENCE-KEY-5678"):
        assert secret not in out
        assert secret not in err
    objects = [o for o in yaml.safe_load_all(out) if o]
    secrets = [o for o in objects if o["kind"] == "Secret"]
    assert {s["metadata"]["name"] for s in secrets} >= {"orbit-connect-license", "orbit-connect-generated",
                                                        "orbit-workbench-generated"}
    for secret in secrets:
        assert "stringData" not in secret
        assert set(secret["data"].values()) <= {"<generated>", "<redacted>"}, secret["metadata"]["name"]
    generated = next(s for s in secrets if s["metadata"]["name"] == "orbit-connect-generated")
    assert generated["data"] == {"pub-db-password": "<generated>", "pub-secret-key": "<generated>"}
    database = next(o for o in objects if o["kind"] == "PostgresDatabase" and o["metadata"]["name"] == "orbit-connect")
    assert database["spec"]["url"] == "postgres://orbit_connect@db.internal:6432/orbit_connect"
    connect = next(o for o in objects if o["kind"] == "Connect")
    assert connect["spec"]["databaseConfig"]["sslMode"] == "require"


def test_an_unknown_field_is_named_with_its_full_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    manifest = write_site(tmp_path / "site.yaml", {"domain": "posit.example.com", "connect": {"imageVersion": "1"}})

    code, out, err = render(capsys, str(manifest))

    assert code == 2
    assert out == ""
    assert "spec.connect.imageVersion: unknown field" in err


def test_every_error_of_a_bad_manifest_is_listed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    manifest = write_site(tmp_path / "site.yaml", {
        "domain": "Not_A_Domain",
        "connect": {"replicas": -1, "imageVersion": "1"},
        "workbench": {"tolerations": [{"key": "a", "tolerationSeconds": "soon"}]},
        "flightdeck": {"logLevel": "loud"},
    }, name="Orbit")

    code, _, err = render(capsys, str(manifest))

    assert code == 2
    assert "(6 errors)" in err
    for expected in ("metadata.name: must be a lower-case DNS name",
                     "spec.domain: String should match pattern",
                     "(got 'Not_A_Domain')",
                     "spec.connect.replicas: Input should be greater than or equal to 0 (got -1)",
                     "spec.connect.imageVersion: unknown field",
                     "spec.workbench.tolerations[0].tolerationSeconds: Input should be a valid integer",
                     "spec.flightdeck.logLevel: Input should be"):
        assert expected in err


def test_a_missing_domain_and_clashing_prefixes_are_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    manifest = write_site(tmp_path / "site.yaml", {"connect": {"domainPrefix": "apps"},
                                                    "workbench": {"domainPrefix": "apps"}})

    code, _, err = render(capsys, str(manifest))

    assert code == 2
    assert "spec.domain: required field is missing" in err
    manifest = write_site(tmp_path / "site.yaml", {"domain": "posit.example.com", "connect": {"domainPrefix": "apps"},
                                                    "workbench": {"domainPrefix": "apps"}})
    code, _, err = render(capsys, str(manifest))
    assert code == 2
    assert "spec: workbench.domainPrefix must differ from connect.domainPrefix" in err


def test_other_documents_are_skipped_and_a_file_without_a_site_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    secrets = (SAMPLES / "secrets.yaml").read_text()
    both = tmp_path / "both.yaml"
    both.write_text(secrets + "\n---\n" + (SAMPLES / "site-minimal.yaml").read_text())

    code, out, err = render(capsys, str(both))

    assert code == 0
    assert "skipped Secret 'orbit'" in err
    assert "change-me" not in out + err
    only_secrets = tmp_path / "secrets.yaml"
    only_secrets.write_text(secrets)
    code, _, err = render(capsys, str(only_secrets))
    assert code == 2
    assert "no Site to render" in err


def test_the_teamop_command_exits_2_on_an_invalid_manifest(tmp_path: Path) -> None:
    manifest = write_site(tmp_path / "site.yaml", {"domain": "posit.example.com", "connect": {"replicas": -3}})

    result = subprocess.run([sys.executable, "-m", "teamop.cli", "render", str(manifest)], capture_output=True,
                            text=True, check=False, timeout=60)

    assert result.returncode == 2, result.stderr
    assert "spec.connect.replicas" in result.stderr


def test_products_without_an_image_render_with_the_default_images(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    manifest = write_site(tmp_path / "site.yaml", {"domain": "posit.example.com", "connect": {}, "workbench": {},
                                                   "packageManager": {}, "chronicle": {}})

    code, out, err = render(capsys, str(manifest))

    assert code == 0, err
    objects = [o for o in yaml.safe_load_all(out) if o]
    workloads = {o["metadata"]["name"]: o for o in objects if o["kind"] in ("Deployment", "StatefulSet")}
    assert {name: w["spec"]["template"]["spec"]["containers"][0]["image"] for name, w in workloads.items()
            if name != "orbit-flightdeck"} == {
        "orbit-connect": images.CONNECT_IMAGE,
        "orbit-workbench": images.WORKBENCH_IMAGE,
        "orbit-packagemanager": images.PACKAGE_MANAGER_IMAGE,
        "orbit-chronicle": images.CHRONICLE_IMAGE,
    }
    connect = next(o for o in objects if o["kind"] == "Connect")
    assert "image" not in connect["spec"]  # the product resource stays as the Go operator writes it


def test_a_node_selector_the_api_server_would_refuse_is_an_error_naming_the_field_and_the_rest_is_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    manifest = write_site(tmp_path / "site.yaml", {"domain": "posit.example.com", "packageManager": {},
                                                   "connect": {"nodeSelector": {"disk": "fast ssd"}}})

    code, out, err = render(capsys, str(manifest))

    assert code == 1
    assert ('error: Connect/orbit: Ready=False InvalidSpec: the API server refuses Deployment.apps "orbit-connect" '
            'is invalid: spec.template.spec.nodeSelector: Invalid value: "fast ssd": a valid label must be') in err
    assert err.count("error:") == 1
    kinds = [(o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(out) if o]
    assert ("Deployment", "orbit-connect") in kinds
    assert ("Deployment", "orbit-packagemanager") in kinds
