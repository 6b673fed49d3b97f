"""Other projects' CRDs, installed in the test control plane only by the tests that need them (the rest see a
cluster without them): the Secrets Store CSI driver's and Traefik's, copied from their Go modules by
hack/build-thirdparty-crds.sh, and the Keycloak operator's, kept in tests/reference/crd/thirdparty/.

    crds = ThirdPartyCRDs(plane)
    await crds.install("middlewares")     # Established and served by discovery when it returns
    await crds.remove_all()               # gone, and no longer served, when it returns
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from teamop.testing.controlplane import REPO_ROOT, ControlPlane, built_by_hack
from teamop.testing.wait import until

BUILD_SCRIPT = REPO_ROOT / "hack" / "build-thirdparty-crds.sh"
REFERENCE_DIR = REPO_ROOT / "tests" / "reference" / "crd" / "thirdparty"


@dataclass(frozen=True)
class ThirdPartyCRD:
    name: str  # the CRD's name, `<plural>.<group>`
    group_version: str  # the version the operator uses, e.g. `traefik.io/v1alpha1`
    file: str  # the file that holds it (among others, maybe)
    in_reference: bool = False  # in tests/reference/crd/thirdparty rather than in the build script's directory

    @property
    def plural(self) -> str:
        return self.name.split(".", 1)[0]


CRDS: dict[str, ThirdPartyCRD] = {
    crd.plural: crd
    for crd in (
        ThirdPartyCRD("secretproviderclasses.secrets-store.csi.x-k8s.io", "secrets-store.csi.x-k8s.io/v1",
                      "secrets-store.csi.x-k8s.io_secretproviderclasses.yaml"),
        ThirdPartyCRD("middlewares.traefik.io", "traefik.io/v1alpha1", "traefik.io.yaml"),
        ThirdPartyCRD("keycloaks.k8s.keycloak.org", "k8s.keycloak.org/v2alpha1",
                      "keycloaks.k8s.keycloak.org.yaml", in_reference=True),
    )
}


def crd_directory() -> Path:
    """The build script's directory of CRDs: $TEAMOP_THIRDPARTY_CRDS, or copied (once, then cached) from the Go
    modules by hack/build-thirdparty-crds.sh (`make thirdparty-crds`)."""
    return built_by_hack(BUILD_SCRIPT, "TEAMOP_THIRDPARTY_CRDS", "third-party CRDs (run `make thirdparty-crds`)")


def crd_manifest(crd: ThirdPartyCRD, directory: Path | None = None) -> dict[str, Any]:
    """The CustomResourceDefinition named `crd.name`, read from its file."""
    path = (REFERENCE_DIR if crd.in_reference else directory or crd_directory()) / crd.file
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make thirdparty-crds` (hack/build-thirdparty-crds.sh)")
    for document in _documents(path):
        if document.get("kind") == "CustomResourceDefinition" and document["metadata"]["name"] == crd.name:
            return document
    raise LookupError(f"{path} has no CustomResourceDefinition {crd.name}")


def _documents(path: Path) -> Iterator[dict[str, Any]]:
    with path.open() as stream:
        yield from (d for d in yaml.safe_load_all(stream) if isinstance(d, dict))


class ThirdPartyCRDs:
    """Installs third-party CRDs on a control plane and removes what it installed."""

    def __init__(self, plane: ControlPlane, *, timeout: float = 60) -> None:
        self.plane = plane
        self.timeout = timeout
        self.installed: list[ThirdPartyCRD] = []

    async def install(self, *plurals: str) -> None:
        """Create the CRDs of these plurals (keys of CRDS) and wait until each is Established and served."""
        unknown = sorted(set(plurals) - set(CRDS))
        if unknown:
            raise ValueError(f"no third-party CRD for {unknown}; known: {sorted(CRDS)}")
        crds = [CRDS[p] for p in plurals]
        directory = await asyncio.to_thread(crd_directory) if any(not c.in_reference for c in crds) else None
        manifests = [crd_manifest(crd, directory) for crd in crds]
        text = "\n---\n".join(yaml.safe_dump(m) for m in manifests)
        await asyncio.to_thread(self.plane.kubectl, "apply", "--server-side", "--force-conflicts", "-f", "-",
                                input=text)
        self.installed.extend(c for c in crds if c not in self.installed)
        for crd in crds:
            # Polled rather than `kubectl wait`, which fails at once while the new CRD has no conditions yet.
            await until(functools.partial(self._established, crd), timeout=self.timeout,
                        what=f"{crd.name} Established")
            await until(functools.partial(self._served, crd), timeout=self.timeout,
                        what=f"{crd.name} served by discovery")

    async def remove(self, plurals: Iterable[str]) -> None:
        """Delete these CRDs (and so every object of theirs) and wait until discovery no longer serves them."""
        crds = [CRDS[p] for p in plurals]
        for crd in crds:
            await asyncio.to_thread(self.plane.kubectl, "delete", "crd", crd.name, "--ignore-not-found",
                                    f"--timeout={self.timeout:.0f}s")
        for crd in crds:
            await until(functools.partial(self._gone, crd), timeout=self.timeout,
                        what=f"{crd.name} no longer served")
            if crd in self.installed:
                self.installed.remove(crd)

    async def remove_all(self) -> None:
        await self.remove([c.plural for c in self.installed])

    def _gone(self, crd: ThirdPartyCRD) -> bool:
        return not self._served(crd)

    def _established(self, crd: ThirdPartyCRD) -> bool:
        """Whether the CRD's Established condition is True (blocking; run in a thread)."""
        result = self.plane.kubectl("get", "crd", crd.name, "-o", "json", check=False)
        if result.returncode != 0:
            return False
        conditions = (json.loads(result.stdout).get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)

    def _served(self, crd: ThirdPartyCRD) -> bool:
        """Whether discovery of the CRD's group/version lists its plural (blocking; run in a thread)."""
        result = self.plane.kubectl("get", "--raw", f"/apis/{crd.group_version}", check=False)
        if result.returncode != 0:
            return False
        resources = json.loads(result.stdout).get("resources") or []
        return any(r.get("name") == crd.plural for r in resources)
