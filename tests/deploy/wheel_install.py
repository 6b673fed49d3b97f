"""teamop's wheel built from what the Dockerfile's build stage copies (pyproject.toml, README.md, src/), and
installed into a clean virtual environment — no system site-packages, no pip inside, no dev extras — with only the
runtime dependencies its metadata names, as the image's `pip install /tmp/*.whl` does (not a test module).

The build backend and the runtime dependencies come from a local wheelhouse, downloaded once per set of
requirements (and Python) into the teamop cache; after that, building and installing touch no index."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_CONTEXT = ("pyproject.toml", "README.md", "src")
"""What the Dockerfile's build stage copies."""
NOT_IN_CONTEXT = shutil.ignore_patterns("__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache")
"""Left out as .dockerignore leaves them out (and as a fresh clone has none)."""
PIP_TIMEOUT = 600


@dataclass(frozen=True)
class Installed:
    venv: Path
    wheel: Path
    context: Path
    """The build context the wheel was built from."""

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def teamop(self) -> Path:
        return self.venv / "bin" / "teamop"


def requirements() -> tuple[list[str], list[str]]:
    """(the build backend's requirements, the runtime dependencies) as pyproject.toml names them."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    return list(project["build-system"]["requires"]), list(project["project"]["dependencies"])


def cache_root() -> Path:
    return Path(os.environ.get("TEAMOP_CACHE", "~/.cache/teamop")).expanduser()


def wheelhouse() -> Path:
    """The wheels of the build backend and the runtime dependencies: downloaded on first use, then reused."""
    build, runtime = requirements()
    key = hashlib.sha256("\n".join([sys.version, platform.machine(), *build, *runtime]).encode()).hexdigest()[:16]
    target = cache_root() / "wheelhouse" / key
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=target.parent))
    try:
        pip(sys.executable, "download", "--dest", str(staging), *build, *runtime)
        staging.rename(target)  # whole or not at all; a concurrent run may have won the race
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def build_and_install(work: Path) -> Installed:
    wheels = wheelhouse()
    context = work / "context"
    context.mkdir(parents=True)
    for name in BUILD_CONTEXT:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=NOT_IN_CONTEXT)
        else:
            shutil.copy2(source, context / name)
    dist = work / "dist"
    pip(sys.executable, "wheel", "--no-deps", "--no-index", "--find-links", str(wheels), "--wheel-dir", str(dist),
        str(context))
    (wheel,) = dist.glob("teamop-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    installed = Installed(venv, wheel, context)
    pip(sys.executable, "--python", str(installed.python), "install", "--no-index", "--find-links", str(wheels),
        str(wheel))
    return installed


def pip(python: str, *args: str) -> None:
    result = subprocess.run([python, "-m", "pip", "--disable-pip-version-check", *args], capture_output=True,
                            text=True, timeout=PIP_TIMEOUT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def clean_environment(**extra: str) -> dict[str, str]:
    """An environment without the developer's Python settings (PYTHONPATH would reach the source tree)."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}
