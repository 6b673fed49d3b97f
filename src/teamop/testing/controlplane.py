"""A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
kwok playing the kubelet of fake nodes, and a stand-in storage provisioner.

    python -m teamop.testing.controlplane up      # start, print the kubeconfig path, leave it running
    python -m teamop.testing.controlplane down    # stop what `up` started and remove its state
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from teamop.testing.pki import ControlPlanePKI, create_pki
from teamop.testing.processes import (
    PIDS_DIR,
    STATE_DIR,
    PidFile,
    ServerProcess,
    free_port,
    reap_orphans,
    wait_until,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_SCRIPT = REPO_ROOT / "hack" / "build-controlplane.sh"

CONTROLLERS = (
    "garbagecollector,deployment,replicaset,statefulset,daemonset,namespace,serviceaccount,serviceaccount-token,"
    "job,cronjob,persistentvolume-binder,pvc-protection,pv-protection,endpointslice,disruption,ttl-after-finished,"
    "root-ca-cert-publisher,clusterrole-aggregation"
)
KWOK_STAGES = (
    "node-initialize.yaml",
    "node-heartbeat.yaml",
    "pod-ready.yaml",
    "pod-complete.yaml",
    "pod-delete.yaml",
)
DEFAULT_STORAGE_CLASS = "standard"


def say(message: str) -> None:
    print(f"[controlplane] {message}", file=sys.stderr, flush=True)


def built_by_hack(script: Path, variable: str, what: str) -> Path:
    """What a hack/ build script builds (or finds in its cache) and prints as its last line; `variable` in the
    environment names it instead, for a machine where it was built elsewhere."""
    configured = os.environ.get(variable)
    if configured:
        return Path(configured)
    if not script.exists():
        raise RuntimeError(f"no {what}: set {variable}, or run from a clone that has {script}")
    result = subprocess.run(["bash", str(script)], stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{script} failed with exit code {result.returncode} (its output is above)")
    return Path(result.stdout.strip().splitlines()[-1])


def find_binaries() -> Path:
    """The directory with the control-plane binaries: $TEAMOP_CONTROLPLANE_BIN, or built (once) by hack/."""
    return built_by_hack(BUILD_SCRIPT, "TEAMOP_CONTROLPLANE_BIN", "control-plane binaries")


@dataclass
class ControlPlane:
    """Starts and stops the servers; `kubeconfig` gives cluster-admin access."""

    bin_dir: Path = field(default_factory=find_binaries)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="teamop-cp-")))
    crd_paths: Sequence[Path] = ()
    nodes: int = 1
    detached: bool = False
    pid_file: PidFile = field(init=False)
    servers: dict[str, ServerProcess] = field(default_factory=dict)
    startup_seconds: float = 0.0

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self._apiserver_port}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self._etcd_port}"

    @property
    def controller_manager_metrics_url(self) -> str:
        """kube-controller-manager's /metrics (self-signed certificate, no authentication needed)."""
        return f"https://127.0.0.1:{self._controller_manager_port}/metrics"

    @property
    def log_dir(self) -> Path:
        return self.workdir / "logs"

    # --- life cycle -------------------------------------------------------------------------------------------
    def start(self) -> ControlPlane:
        started = time.monotonic()
        leftovers = reap_orphans(PIDS_DIR)
        if leftovers:
            say(f"killed {leftovers} process group(s) left by a run that crashed")
        self.pid_file = PidFile(
            PIDS_DIR / f"{self.workdir.name}.json",
            owner=PidFile.DETACHED if self.detached else None,
            workdir=self.workdir,
        )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._pki = create_pki(self.workdir / "pki")
        self._etcd_port, self._etcd_peer_port, self._apiserver_port = free_port(), free_port(), free_port()
        self._controller_manager_port = free_port()
        self._write_kubeconfig()
        try:
            self._start_etcd()
            self.start_apiserver()
            self._install_crds()
            self._start_controllers()
            self._add_nodes()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        say(f"ready in {self.startup_seconds:.1f} s: {self.server} (kubeconfig {self.kubeconfig}, logs {self.log_dir})")
        return self

    def stop(self, *, remove_workdir: bool = False) -> None:
        """Stop every server, apiserver before etcd (it can hang for minutes once etcd is gone)."""
        for name in ("provisioner", "kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"):
            server = self.servers.pop(name, None)
            if server:
                server.stop()
        self.pid_file.clear()
        if remove_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop(remove_workdir=True)

    def _run(self, name: str, argv: list[str], *, env: dict[str, str] | None = None) -> ServerProcess:
        server = ServerProcess(name, argv, self.log_dir, env=env)
        server.start()
        self.servers[name] = server
        self.pid_file.record(list(self.servers.values()))
        return server

    # --- etcd and the apiserver -------------------------------------------------------------------------------
    def _start_etcd(self) -> None:
        peer = f"http://127.0.0.1:{self._etcd_peer_port}"
        etcd = self._run(
            "etcd",
            [
                str(self.bin_dir / "etcd"),
                "--name=default",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=default={peer}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        wait_until(lambda: _http_ok(f"{self.etcd_url}/health"), timeout=30, what="etcd /health", servers=[etcd])

    def start_apiserver(self) -> None:
        pki = self._pki
        apiserver = self._run(
            "kube-apiserver",
            [
                str(self.bin_dir / "kube-apiserver"),
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self._apiserver_port}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={pki.service_account_pub}",
                f"--service-account-signing-key-file={pki.service_account_key}",
                "--service-cluster-ip-range=10.96.0.0/16",
                "--authorization-mode=Node,RBAC",
                "--allow-privileged=true",
                "--endpoint-reconciler-type=none",
                "--disable-admission-plugins=ServiceAccount,TaintNodesByCondition",
                "--enable-admission-plugins=NamespaceLifecycle,DefaultStorageClass,OwnerReferencesPermissionEnforcement",
            ],
        )
        wait_until(self._apiserver_ready, timeout=60, what="kube-apiserver /readyz", servers=[apiserver])

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver only (etcd keeps the data), as an outage would."""
        server = self.servers.pop("kube-apiserver", None)
        if server:
            server.stop()

    def _apiserver_ready(self) -> bool:
        return _http_ok(f"{self.server}/readyz", self._ssl_context())

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self._pki.ca_cert))
        context.load_cert_chain(str(self._pki.admin_cert), str(self._pki.admin_key))
        return context

    def etcd_compact(self) -> int:
        """Compact etcd to its current revision, so that older resourceVersions answer `410 Gone`."""
        status = _etcd_post(self.etcd_url, "/v3/kv/range", {"key": base64.b64encode(b"/").decode()})
        header: dict[str, str] = status["header"]  # type: ignore[assignment]
        revision = int(header["revision"])
        _etcd_post(self.etcd_url, "/v3/kv/compaction", {"revision": revision, "physical": True})
        return revision

    def _write_kubeconfig(self) -> None:
        def b64(path: Path) -> str:
            return base64.b64encode(path.read_bytes()).decode()

        pki: ControlPlanePKI = self._pki
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "teamop-local",
                    "cluster": {"server": self.server, "certificate-authority-data": b64(pki.ca_cert)},
                }
            ],
            "users": [
                {
                    "name": "admin",
                    "user": {
                        "client-certificate-data": b64(pki.admin_cert),
                        "client-key-data": b64(pki.admin_key),
                    },
                }
            ],
            "contexts": [{"name": "teamop-local", "context": {"cluster": "teamop-local", "user": "admin"}}],
            "current-context": "teamop-local",
        }
        self.kubeconfig.write_text(yaml.safe_dump(config))
        self.kubeconfig.chmod(0o600)

    # --- what runs on top of the apiserver --------------------------------------------------------------------
    def _install_crds(self) -> None:
        """CRDs go in before kube-controller-manager starts: its garbage collector finds later ones only slowly."""
        files = [str(p) for p in _yaml_files(self.crd_paths)]
        if not files:
            return
        args = ["apply", "--server-side", "--force-conflicts"]
        for path in files:
            args += ["-f", path]
        self.kubectl(*args)
        self.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
        say(f"installed {len(files)} CRD file(s)")

    def _start_controllers(self) -> None:
        pki = self._pki
        self._run(
            "kube-controller-manager",
            [
                str(self.bin_dir / "kube-controller-manager"),
                f"--kubeconfig={self.kubeconfig}",
                f"--controllers={CONTROLLERS}",
                f"--service-account-private-key-file={pki.service_account_key}",
                f"--root-ca-file={pki.ca_cert}",
                "--leader-elect=false",
                # /metrics for benchmarks: anonymous (no authentication kubeconfig), a certificate it makes itself
                "--bind-address=127.0.0.1",
                f"--secure-port={self._controller_manager_port}",
                f"--cert-dir={self.workdir / 'controller-manager'}",
                "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
                "--use-service-account-credentials=false",
                "--concurrent-gc-syncs=10",
            ],
        )
        self._run(
            "kube-scheduler",
            [
                str(self.bin_dir / "kube-scheduler"),
                f"--kubeconfig={self.kubeconfig}",
                "--leader-elect=false",
                "--secure-port=0",
            ],
        )
        kwok_home = self.workdir / "kwok-home"
        kwok_home.mkdir(exist_ok=True)
        kwok_config = self.workdir / "kwok.yaml"
        kwok_config.write_text(self._kwok_config())
        self._run(
            "kwok",
            [
                str(self.bin_dir / "kwok"),
                f"--kubeconfig={self.kubeconfig}",
                "--manage-all-nodes=true",
                f"--config={kwok_config}",
            ],
            env={**os.environ, "HOME": str(kwok_home)},
        )
        self._run(
            "provisioner",
            [sys.executable, "-m", "teamop.testing.provisioner", "--kubeconfig", str(self.kubeconfig),
             "--storage-class", DEFAULT_STORAGE_CLASS, "--root", str(self.workdir / "volumes")],
        )

    def _kwok_config(self) -> str:
        options = {
            "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
            "kind": "KwokConfiguration",
            "options": {
                "enableCNI": False,
                "podPlayStageParallelism": 4,
                "nodePlayStageParallelism": 4,
                "nodeLeaseParallelism": 4,
                "podsOnNodeSyncParallelism": 1,
            },
        }
        stage_dir = self.bin_dir.parent / "kwok-stages"
        stages = [(stage_dir / name).read_text() for name in KWOK_STAGES]
        return "\n---\n".join([yaml.safe_dump(options), *stages])

    def _add_nodes(self) -> None:
        objects: list[dict[str, object]] = [
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {
                    "name": DEFAULT_STORAGE_CLASS,
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "teamop.test/hostpath",
                "volumeBindingMode": "Immediate",
                "reclaimPolicy": "Delete",
            }
        ]
        for index in range(self.nodes):
            name = f"kwok-node-{index}"
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {
                        "name": name,
                        "annotations": {"kwok.x-k8s.io/node": "fake"},
                        "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "kwok"},
                    },
                    "status": {
                        "capacity": {"cpu": "64", "memory": "512Gi", "pods": "1000", "ephemeral-storage": "1Ti"},
                        "allocatable": {"cpu": "64", "memory": "512Gi", "pods": "1000", "ephemeral-storage": "1Ti"},
                    },
                }
            )
        self.kubectl("apply", "--server-side", "-f", "-", input="\n---\n".join(yaml.safe_dump(o) for o in objects))
        self.kubectl("wait", "--for=condition=Ready", "--timeout=60s", "node", "--all")

    # --- helpers for tests and people ---------------------------------------------------------------------------
    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this control plane; on failure the error carries kubectl's stderr."""
        result = subprocess.run(
            [str(self.bin_dir / "kubectl"), f"--kubeconfig={self.kubeconfig}", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, ["kubectl", *args], result.stdout, result.stderr)
        return result

    def kubectl_json(self, *args: str) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.kubectl(*args, "-o", "json").stdout)
        return data

    def apiserver_metrics(self) -> str:
        """The apiserver's own /metrics text (apiserver_request_total and friends)."""
        request = urllib.request.Request(f"{self.server}/metrics")
        with urllib.request.urlopen(request, context=self._ssl_context(), timeout=10) as response:
            text: str = response.read().decode()
            return text

    def controller_manager_metrics(self) -> str:
        """kube-controller-manager's /metrics text (its clients' rest_client_* and its controllers' workqueue_*)."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # its self-signed certificate, on loopback
        with urllib.request.urlopen(self.controller_manager_metrics_url, context=context, timeout=10) as response:
            text: str = response.read().decode()
            return text

    def pids(self) -> list[int]:
        return [s.pid for s in self.servers.values() if s.pid]


def _yaml_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        elif path.exists():
            files.append(path)
    return files


def _http_ok(url: str, context: ssl.SSLContext | None = None) -> bool:
    with urllib.request.urlopen(url, context=context, timeout=2) as response:
        return bool(response.status == 200)


def _etcd_post(base_url: str, path: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(f"{base_url}{path}", data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        data: dict[str, object] = json.loads(response.read())
        return data


# --- python -m teamop.testing.controlplane up|down ---------------------------------------------------------------
def _state_file() -> Path:
    return STATE_DIR / "controlplane.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m teamop.testing.controlplane", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the control plane and leave it running")
    up.add_argument("--crds", type=Path, action="append", default=[], help="CRD file or directory to install")
    up.add_argument("--nodes", type=int, default=1)
    sub.add_parser("down", help="stop the control plane that `up` started and remove its files")
    args = parser.parse_args(argv)

    down()
    if args.command == "up":
        plane = ControlPlane(crd_paths=args.crds, nodes=args.nodes, detached=True).start()
        _state_file().write_text(json.dumps({"pids": str(plane.pid_file.path), "kubeconfig": str(plane.kubeconfig)}))
        print(plane.kubeconfig)
    return 0


def down() -> None:
    """Stop whatever `up` started and remove its work directory."""
    state = _state_file()
    if not state.exists():
        return
    killed = PidFile(Path(json.loads(state.read_text())["pids"])).kill()
    state.unlink()
    say(f"stopped {killed} process group(s)")


if __name__ == "__main__":
    sys.exit(main())
