"""`teamop dev up` / `teamop dev down` as a user runs them: subprocesses, with their state in a temporary directory
so that they collide with nothing else."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from teamop.dev.down import running
from teamop.dev.manifests import database_secrets, load_site
from teamop.dev.progress import Progress, StepFailed

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "config" / "samples"


def teamop(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "teamop.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def kubectl_path() -> str:
    built = sorted(Path.home().glob(".cache/teamop/controlplane/*/bin/kubectl"))
    configured = os.environ.get("TEAMOP_CONTROLPLANE_BIN")
    if configured:
        return str(Path(configured) / "kubectl")
    if built:
        return str(built[-1])
    found = shutil.which("kubectl")
    assert found, "no kubectl"
    return found


def kubectl_json(kubeconfig: str, *args: str) -> Any:
    result = subprocess.run([kubectl_path(), f"--kubeconfig={kubeconfig}", *args, "-o", "json"],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def recorded_pids(state: Path) -> list[int]:
    record = json.loads((state / "dev.json").read_text())
    pids: list[int] = []
    for pid_file in record["pid_files"]:
        pids += [int(pid) for pid, _ in json.loads(Path(pid_file).read_text())["servers"]]
    return pids


@pytest.mark.controlplane
@pytest.mark.postgres
@pytest.mark.timeout(1500)  # the very first run builds the control plane (about 6 minutes)
def test_dev_up_until_ready_then_down_leaves_nothing_and_again(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "TEAMOP_STATE": str(state)}
    env.pop("KUBECONFIG", None)
    try:
        for _ in range(2):  # the second round: `up` after `down` works the same
            up = teamop("dev", "up", "--exit-when-ready", env=env, timeout=1200)
            output = up.stdout + up.stderr
            assert up.returncode == 0, output
            assert "[7/7] Site Ready" in up.stdout
            match = re.search(r"export KUBECONFIG=(\S+)", up.stdout)
            assert match, up.stdout
            kubeconfig = match.group(1)

            site = kubectl_json(kubeconfig, "get", "site", "orbit", "-n", "posit-team")
            assert site["status"]["ready"] is True
            assert all(p["ready"] for p in site["status"]["products"].values())
            workload = kubectl_json(kubeconfig, "get", "secret", "orbit", "-n", "posit-team")["data"]
            credentials = kubectl_json(kubeconfig, "get", "secret", "orbit-db-creds", "-n", "posit-team")["data"]
            url = base64.b64decode(workload["main-database-url"]).decode()
            password = base64.b64decode(credentials["password"]).decode()
            assert "@" not in url, "no credentials in main-database-url"
            assert set(credentials) == {"username", "password"}
            assert password not in output

            pids = recorded_pids(state)
            assert len(pids) >= 7  # etcd, apiserver, controller manager, scheduler, kwok, provisioner, postgres
            assert all(running(pid) for pid in pids), "the servers outlive `up --exit-when-ready`"
            workdirs = [Path(d) for d in json.loads((state / "dev.json").read_text())["workdirs"]]

            down = teamop("dev", "down", env=env)
            assert down.returncode == 0, down.stdout + down.stderr
            assert not [pid for pid in pids if running(pid)]
            assert not state.exists()
            assert not [d for d in workdirs if d.exists()]

        again = teamop("dev", "down", env=env)
        assert again.returncode == 0
        assert "nothing to stop" in again.stderr
    finally:
        teamop("dev", "down", env=env)


def test_dev_up_refuses_a_file_without_a_site_before_starting_anything(tmp_path: Path) -> None:
    manifest = tmp_path / "not-a-site.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    state = tmp_path / "state"
    result = teamop("dev", "up", "--site", str(manifest), env={**os.environ, "TEAMOP_STATE": str(state)})
    assert result.returncode == 2
    assert "holds 0 Sites" in result.stderr
    assert not state.exists()


def test_secrets_follow_the_go_operator_layout_and_the_sites_names(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text((SAMPLES / "site-minimal.yaml").read_text()
                    .replace("vaultName: orbit-db-creds", "vaultName: creds")
                    .replace("    vaultName: orbit\n  mainDatabase", "    vaultName: workload\n  mainDatabase"))
    manifest = load_site(site, "elsewhere")
    assert (manifest.namespace, manifest.workload_secret, manifest.credential_secret) == (
        "elsewhere", "workload", "creds")
    workload, credentials = database_secrets(manifest, "postgres://127.0.0.1:5/postgres?sslmode=disable", "pg", "pw")
    assert workload["metadata"] == {**workload["metadata"], "name": "workload", "namespace": "elsewhere"}
    assert set(workload["data"]) == {"main-database-url"}
    assert credentials["metadata"]["name"] == "creds"
    assert {k: base64.b64decode(v).decode() for k, v in credentials["data"].items()} == {
        "username": "pg", "password": "pw"}


def test_a_site_naming_no_secrets_gets_the_default_names(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("apiVersion: core.posit.team/v1beta1\nkind: Site\nmetadata: {name: tiny}\n"
                    "spec: {domain: example.test}\n")
    manifest = load_site(site, None)
    assert manifest.namespace == "posit-team"
    assert (manifest.workload_secret, manifest.credential_secret) == ("tiny", "tiny-db-creds")
    assert len(manifest.notes) == 2


def test_a_failed_step_says_which_step_why_and_the_log_to_read(tmp_path: Path) -> None:
    out = io.StringIO()
    progress = Progress(2, out)
    log = tmp_path / "server.log"
    log.write_text("listening soon\n")
    with pytest.raises(StepFailed) as failure, progress.step("server", "waiting for it to listen", logs=[log]):
        raise TimeoutError("timed out after 30 s waiting for the server to listen")
    text = out.getvalue()
    assert failure.value.step == "server"
    assert "[1/2] server: waiting for it to listen" in text
    assert "server failed after" in text
    assert "timed out after 30 s waiting for the server to listen" in text
    assert f"read: {log}" in text
