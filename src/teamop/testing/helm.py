"""The `helm` command for the chart tests: built from Go modules by hack/build-helm.sh (cached per Helm and Go
version), run against a control plane's kubeconfig with its own, throw-away Helm home (no repositories, no
plugins, nothing read from or written to the user's ~/.config/helm).

    helm = Helm(kubeconfig=plane.kubeconfig, home=tmp_path)
    helm("install", "teamop", "charts/teamop", "-n", "posit-team-system", "--create-namespace")
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from teamop.testing.controlplane import REPO_ROOT, built_by_hack

BUILD_SCRIPT = REPO_ROOT / "hack" / "build-helm.sh"
CHART = REPO_ROOT / "charts" / "teamop"


@functools.cache
def find_helm() -> Path:
    """The helm binary: $TEAMOP_HELM_BIN, or built (once, then cached) by hack/build-helm.sh."""
    return built_by_hack(BUILD_SCRIPT, "TEAMOP_HELM_BIN", "helm")


class HelmError(subprocess.CalledProcessError):
    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.stderr}"


@dataclass(frozen=True)
class Helm:
    """Runs helm with `home` as its cache, config and data directories and, when given, `kubeconfig`."""

    home: Path
    kubeconfig: Path | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
        env.update(HELM_CACHE_HOME=str(self.home / "cache"), HELM_CONFIG_HOME=str(self.home / "config"),
                   HELM_DATA_HOME=str(self.home / "data"))
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        else:
            env.pop("KUBECONFIG", None)
        return env

    def __call__(self, *args: str, check: bool = True, input: str | None = None,
                 timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`helm args...`; with `check`, a failure raises HelmError carrying helm's stderr."""
        result = subprocess.run([str(find_helm()), *args], env=self.environment(), input=input,
                                capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise HelmError(result.returncode, ["helm", *args], result.stdout, result.stderr)
        return result
