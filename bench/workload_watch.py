"""When each product workload (Deployment, StatefulSet) first exists and first is available, from `kubectl get -w`
(one watch per kind: no polling load on the API server while it is being measured)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path

KINDS = ("deployments", "statefulsets")
# One line per event: namespace/name, wanted replicas, available replicas, generation, observed generation.
_TEMPLATE = ("{.metadata.namespace}/{.metadata.name}|{.spec.replicas}|{.status.availableReplicas}|"
             "{.metadata.generation}|{.status.observedGeneration}{\"\\n\"}")


class WorkloadWatch:
    """Start before the Sites are applied; `created` and `available` map `kind/namespace/name` to monotonic time."""

    def __init__(self, kubectl: Path, kubeconfig: Path, names: Iterable[str] | None = None) -> None:
        self.kubectl = kubectl
        self.kubeconfig = kubeconfig
        self.created: dict[str, float] = {}
        self.available: dict[str, float] = {}
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen[str]] = []
        self._threads: list[threading.Thread] = []
        self._names = set(names) if names is not None else None

    def start(self) -> WorkloadWatch:
        for kind in KINDS:
            process = subprocess.Popen(
                [str(self.kubectl), f"--kubeconfig={self.kubeconfig}", "get", kind, "-A", "-w",
                 "-o", f"jsonpath={_TEMPLATE}"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            thread = threading.Thread(target=self._read, args=(kind, process), daemon=True)
            thread.start()
            self._processes.append(process)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for process in self._processes:
            process.terminate()
            process.wait(10)

    def _read(self, kind: str, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            now = time.monotonic()
            parts = line.strip().split("|")
            if len(parts) != 5:
                continue
            key = f"{kind}/{parts[0]}"
            wanted, available, generation, observed = parts[1:]
            with self._lock:
                self.created.setdefault(key, now)
                if (available.isdigit() and int(available) >= int(wanted or 1) and generation == observed):
                    self.available.setdefault(key, now)

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return len(self.created), len(self.available)

    def last(self, *, available: bool) -> float:
        with self._lock:
            times = self.available if available else self.created
            return max(times.values()) if times else float("nan")
