"""The package as the image installs it: the wheel built from the Dockerfile's build context, installed into a
clean virtual environment with only its runtime dependencies, runs the operator's commands — no file is missing
from the wheel and nothing imports a development-only package."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sites import apply, sample_site
from wheel_install import BUILD_CONTEXT, REPO_ROOT, Installed, build_and_install, clean_environment

from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import eventually

# The first run downloads the wheelhouse (build backend and runtime dependencies); later runs are offline.
pytestmark = pytest.mark.timeout(900)

GOLDEN = REPO_ROOT / "tests" / "cli" / "golden"
SAMPLES = REPO_ROOT / "config" / "samples"
DEV_ONLY = ("pytest", "hypothesis", "mypy", "ruff")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return build_and_install(tmp_path_factory.mktemp("wheel"))


def run(installed: Installed, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A command of the installed package, away from the source tree and without the developer's PYTHONPATH."""
    return subprocess.run([str(installed.teamop), *args], capture_output=True, text=True, cwd=cwd, timeout=120,
                          env=clean_environment(**env), check=False)


def test_the_wheel_is_built_from_what_the_dockerfiles_build_stage_copies() -> None:
    build_stage = (REPO_ROOT / "Dockerfile").read_text().split("\nFROM ")[1]  # the first stage
    copied = [source for line in build_stage.splitlines() if line.startswith("COPY ")
              for source in line.split()[1:-1]]

    assert sorted(copied) == sorted(BUILD_CONTEXT)
    assert "python -m build --wheel" in build_stage


def test_the_wheel_holds_every_file_of_the_package(installed: Installed) -> None:
    source = installed.context / "src"
    expected = {str(path.relative_to(source)) for path in (source / "teamop").rglob("*") if path.is_file()}

    with zipfile.ZipFile(installed.wheel) as wheel:
        packaged = {name for name in wheel.namelist() if name.startswith("teamop/")}

    assert expected - packaged == set()
    assert any(name.endswith(".tpl") for name in packaged)
    assert any(name.endswith(".css") for name in packaged)


def test_every_module_imports_from_the_environment_without_development_packages(
    installed: Installed, tmp_path: Path,
) -> None:
    script = (
        "import importlib, importlib.util, pkgutil, teamop\n"
        "print(teamop.__file__)\n"
        "for module in pkgutil.walk_packages(teamop.__path__, 'teamop.'):\n"
        "    importlib.import_module(module.name)\n"
        f"print([name for name in {DEV_ONLY!r} if importlib.util.find_spec(name)])\n"
    )

    result = subprocess.run([str(installed.python), "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120, env=clean_environment(), check=False)

    assert result.returncode == 0, result.stderr
    location, development = result.stdout.splitlines()
    assert Path(location).is_relative_to(installed.venv)
    assert development == "[]"


def test_teamop_run_help_lists_the_operators_settings(installed: Installed, tmp_path: Path) -> None:
    result = run(installed, "run", "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: teamop run")
    assert "--max-concurrent-reconciles" in result.stdout


def test_teamop_render_of_the_full_sample_prints_what_the_source_tree_renders(
    installed: Installed, tmp_path: Path,
) -> None:
    result = run(installed, "render", str(SAMPLES / "site-full.yaml"), "--namespace", "posit-team", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / "site-full.yaml").read_text()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def flightdeck(installed: Installed, controlplane: ControlPlane, namespace: str, free_port: int,
               tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`teamop flightdeck serve` of the installed package for a Site in `namespace`, as its pod runs it (the Site
    from the environment's SITE_NAME), through a kubeconfig instead of the pod's ServiceAccount."""
    apply(controlplane, sample_site("orbit", namespace, "site-minimal"))
    process = subprocess.Popen(
        [str(installed.teamop), "flightdeck", "serve", "--kubeconfig", str(controlplane.kubeconfig),
         "--namespace", namespace, "--host", "127.0.0.1", "--port", str(free_port)],
        cwd=tmp_path, env=clean_environment(SITE_NAME="orbit"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, f"http://127.0.0.1:{free_port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body: str = response.read().decode()
            return body
    except (urllib.error.URLError, ConnectionError):
        return None


@pytest.mark.controlplane
def test_teamop_flightdeck_serve_answers_with_its_sites_page_and_stops_on_sigterm(
    flightdeck: tuple[subprocess.Popen[str], str],
) -> None:
    process, base = flightdeck

    page = eventually(lambda: (body := fetch(f"{base}/")) and "https://connect.orbit.example.test" in body and body,
                      timeout=60, what="the landing page with the Site's Connect")
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert stylesheet is not None
    assert fetch(f"{base}{stylesheet.group(1)}"), "the stylesheet (package data) is served"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
