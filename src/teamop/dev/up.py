"""`teamop dev up`: a real control plane and PostgreSQL, the Go operator's Secrets, a Site, and the operator running
in this process, with a line per step until the Site is Ready."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import redirect_stderr
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from teamop.dev.down import down, is_dev_up
from teamop.dev.manifests import ManifestError, SiteManifest, database_secrets, load_site, namespace_object, stream
from teamop.dev.progress import Interrupted, Progress, Step, StepFailed
from teamop.dev.state import DevState, state_dir
from teamop.testing.processes import PIDS_DIR

if TYPE_CHECKING:  # the servers' modules load only when `dev up` runs, not for every `teamop` command
    from teamop.testing.controlplane import ControlPlane
    from teamop.testing.postgres import PostgresServer

REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_SCRIPT = REPO_ROOT / "hack" / "build-controlplane.sh"
CRD_DIR = REPO_ROOT / "config" / "crd" / "bases"
DEFAULT_SITE = REPO_ROOT / "config" / "samples" / "site-full.yaml"
STEPS = 7
FIRST_BUILD = "the first run compiles Kubernetes, etcd and kwok from Go modules: about 6 minutes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE,
                        help="the Site manifest to apply (default: config/samples/site-full.yaml)")
    parser.add_argument("-n", "--namespace", default=None,
                        help="namespace of the Site (default: the manifest's own, else posit-team)")
    parser.add_argument("--exit-when-ready", action="store_true",
                        help="exit 0 once the Site is Ready, leaving the servers running for kubectl "
                             "(`teamop dev down` stops them)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds to wait for the Site to turn Ready (default: %(default)s)")


@dataclass
class Environment:
    """What the synchronous steps started, for the operator step and for the closing hints."""

    state: DevState
    manifest: SiteManifest
    bin_dir: Path
    kubeconfig: Path
    log_dirs: list[Path]


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def up_command(args: argparse.Namespace) -> int:
    root = state_dir()
    try:
        manifest = load_site(Path(args.site), args.namespace)
    except ManifestError as error:
        print(f"teamop dev up: {error}", file=sys.stderr)
        return 2
    previous = DevState.load(root)
    if previous is not None and previous.up_pid != os.getpid() and is_dev_up(previous.up_pid):
        print(f"teamop dev up: another `teamop dev up` (pid {previous.up_pid}) is running with state in {root}; "
              "stop it first (Ctrl-C in its terminal, or `teamop dev down`), or set TEAMOP_STATE to another "
              "directory", file=sys.stderr)
        return 1

    progress = Progress(STEPS)
    signal.signal(signal.SIGTERM, _interrupt)  # `teamop dev down` while we start: stop like on Ctrl-C
    progress.line(f"teamop dev up: Site {manifest.namespace}/{manifest.name} from {args.site}; state in {root}")
    for note in manifest.notes:
        progress.line(f"  note: {note}")
    if previous is not None or root.exists():
        down(root, say=lambda message: progress.line(f"  previous run: {message}"))
    state = DevState(root=root, up_pid=os.getpid(), namespace=manifest.namespace, site=manifest.name)
    state.save()
    try:
        environment = start_servers(state, manifest, progress)
        from teamop.dev.operate import operate

        result = operate(environment, progress, timeout=args.timeout, exit_when_ready=args.exit_when_ready)
    except StepFailed as failure:
        state.up_pid = 0
        state.save()
        progress.line()
        progress.line(f"teamop dev up failed at step {failure.step!r}.")
        if state.kubeconfig:
            progress.line(f"What was started keeps running so that you can look: export KUBECONFIG={state.kubeconfig}")
        progress.line(f"`teamop dev down` stops it and removes {root}.")
        return 1
    except (Interrupted, KeyboardInterrupt):
        progress.line("interrupted: stopping everything `teamop dev up` started")
        down(root, say=lambda message: progress.line(f"  {message}"))
        return 130
    if result == "ready":
        state.up_pid = 0
        state.save()
        return 0
    progress.line("stopping the control plane and PostgreSQL")
    down(root, say=lambda message: progress.line(f"  {message}"))
    return 0 if result == "stopped" else 1


def start_servers(state: DevState, manifest: SiteManifest, progress: Progress) -> Environment:
    """Steps 1 to 5: binaries, control plane, PostgreSQL, namespace and Secrets, the Site."""

    build_log = state.root / "build-controlplane.log"
    cache = os.environ.get("TEAMOP_CACHE", "~/.cache/teamop")
    with progress.step("control-plane binaries", f"reusing them from {cache}/controlplane, or building "
                       f"them ({FIRST_BUILD})", logs=[build_log]) as step:
        bin_dir = controlplane_binaries(step, build_log)

    # PostgreSQL starts in a thread beside the control plane (they take seconds each); step 3 waits for it.
    workdir = postgres_workdir(state)
    pg_logs = workdir / "logs" / "postgres.log"
    state.add_server(PIDS_DIR / f"{workdir.name}.json", workdir)
    # Both print their own "ready" lines to stderr: the steps say it instead.
    with redirect_stderr(io.StringIO()), ThreadPoolExecutor(1, thread_name_prefix="postgres") as pool:
        pg_start = pool.submit(start_postgres, workdir)
        try:
            plane, server = _start_both(state, manifest, progress, bin_dir, pg_start, pg_logs)
        except BaseException:
            with contextlib.suppress(BaseException):  # its pid file must exist before anyone cleans up
                pg_start.result()
            raise

    with progress.step("namespace and Secrets", f"creating namespace {manifest.namespace}; Secret "
                       f"{manifest.workload_secret!r} (main-database-url) and Secret {manifest.credential_secret!r} "
                       "(username, password), as the Go operator reads them") as step:
        plane.kubectl("apply", "--server-side", "--field-manager=teamop-dev", "-f", "-",
                      input=json.dumps(namespace_object(manifest.namespace)))
        secrets = database_secrets(manifest, server.admin_url_without_credentials, server.superuser, server.password)
        plane.kubectl("apply", "--server-side", "--field-manager=teamop-dev", "-f", "-",
                      input=stream(*secrets))
        step.done(f"{len(secrets)} Secret(s) in {manifest.namespace}; the admin URL is "
                  f"{server.admin_url_without_credentials}")

    with progress.step("Site", f"applying {manifest.namespace}/{manifest.name} (the API server validates it "
                       "against teamop's CRD)") as step:
        plane.kubectl("apply", "--server-side", "--field-manager=teamop-dev", "-f", "-",
                      input=json.dumps(manifest.site))
        products = [key for key in ("connect", "workbench", "packageManager", "chronicle", "flightdeck")
                    if key in (manifest.site.get("spec") or {})]
        step.done(f"applied; it asks for {', '.join(products) or 'no products'}")

    return Environment(state, manifest, bin_dir, plane.kubeconfig, [plane.log_dir, pg_logs])


def _start_both(state: DevState, manifest: SiteManifest, progress: Progress, bin_dir: Path,
                pg_start: Future[PostgresServer], pg_logs: Path) -> tuple[ControlPlane, PostgresServer]:
    from teamop.testing import controlplane

    with progress.step("control plane", "starting etcd, kube-apiserver (waiting for /readyz), teamop's CRDs "
                       "(waiting for Established), kube-controller-manager, kube-scheduler, kwok (waiting for its "
                       "node to be Ready) and a volume provisioner") as step:
        crds = CRD_DIR
        if not CRD_DIR.is_dir():
            from teamop.api.crdgen import write_crds

            crds = state.root / "crds"
            write_crds(crds)
        plane = controlplane.ControlPlane(bin_dir=bin_dir, workdir=state.controlplane_dir, crd_paths=[crds],
                                          detached=True)
        step.logs.append(plane.log_dir)
        state.kubeconfig = str(plane.kubeconfig)
        state.add_server(PIDS_DIR / f"{plane.workdir.name}.json", plane.workdir)
        plane.start()
        step.done(f"API server {plane.server}, CRDs from {crds}, node kwok-node-0 Ready")

    with progress.step("PostgreSQL", "waiting for the server (initdb, then started beside the control plane) to "
                       "accept connections", logs=[pg_logs]) as step:
        server = pg_start.result()
        step.done(f"{server.host}:{server.port}, superuser {server.superuser!r}")
    return plane, server


def postgres_workdir(state: DevState) -> Path:
    """PostgreSQL refuses to run as root: it then runs as another user, who cannot enter a private home."""
    workdir = (Path(tempfile.mkdtemp(prefix="teamop-dev-pg-")) if os.geteuid() == 0
               else state.root / "postgres")
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def start_postgres(workdir: Path) -> PostgresServer:
    """Start PostgreSQL detached: like the control plane it outlives this process, until `teamop dev down`."""
    from teamop.testing.postgres import PostgresServer
    from teamop.testing.processes import PidFile

    server = PostgresServer(workdir=workdir)
    server.start()
    assert server.server is not None
    server.pid_file = PidFile(server.pid_file.path, owner=PidFile.DETACHED, workdir=workdir)
    server.pid_file.record([server.server])
    return server


def controlplane_binaries(step: Step, build_log: Path) -> Path:
    """`$TEAMOP_CONTROLPLANE_BIN`, else what hack/build-controlplane.sh builds (once) or finds in its cache."""
    configured = os.environ.get("TEAMOP_CONTROLPLANE_BIN")
    if configured:
        step.done(f"using $TEAMOP_CONTROLPLANE_BIN ({configured})")
        return Path(configured)
    if not BUILD_SCRIPT.exists():
        raise RuntimeError(f"{BUILD_SCRIPT} is missing: run teamop from a clone (pip install -e '.[dev]'), or set "
                           "TEAMOP_CONTROLPLANE_BIN to a directory holding kube-apiserver, etcd, kwok and kubectl")
    if shutil.which("go") is None:
        raise RuntimeError("the Go toolchain (`go`) is not on PATH: the control plane is built from Go modules once "
                           "(https://go.dev/dl/), or set TEAMOP_CONTROLPLANE_BIN to prebuilt binaries")
    build_log.parent.mkdir(parents=True, exist_ok=True)
    cached = built = 0
    last = ""
    with build_log.open("w") as log, subprocess.Popen(
        ["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                log.write(line)
                log.flush()
                line = line.rstrip("\n")
                if line.strip():
                    last = line.strip()
                message = line.removeprefix("[build-controlplane] ")
                if message == line:
                    continue
                if message.endswith(": cached"):
                    cached += 1
                elif message.endswith("building ..."):
                    if built == 0:
                        step.note(f"building ({FIRST_BUILD}; later runs reuse the binaries)")
                    built += 1
                    step.note(message)
                elif "all binaries in" not in message:
                    step.note(message)
        except BaseException:
            process.kill()
            raise
    if process.returncode != 0:
        tail = "\n".join(build_log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"{BUILD_SCRIPT.name} exited with code {process.returncode}:\n{tail}")
    bin_dir = Path(last)
    if not (bin_dir / "kube-apiserver").exists():
        raise RuntimeError(f"{BUILD_SCRIPT.name} did not name a directory with the binaries (it said {last!r})")
    step.done(f"built {built}, reused {cached} in {bin_dir}" if built else f"reused from {bin_dir}")
    return bin_dir
