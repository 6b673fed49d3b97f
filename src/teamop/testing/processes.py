"""Child processes of the local servers: own process group, a log file each, stopped for sure, leftovers found."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

STATE_DIR = Path(os.environ.get("TEAMOP_STATE", Path.home() / ".cache" / "teamop" / "run"))
PIDS_DIR = STATE_DIR / "servers"
"""Pid files of every run's servers (see `PidFile`, `reap_orphans`)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """One long-running server process whose output goes to `<log_dir>/<name>.log`."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_dir: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        preexec_fn: Callable[[], None] | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        stop_timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_dir / f"{name}.log"
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.preexec_fn = preexec_fn
        self.stop_signal = stop_signal
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=self.preexec_fn,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_running(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise ServerFailed(self, f"exited with code {self.process.returncode}")

    def stop(self) -> None:
        """`stop_signal` to the process group, SIGKILL after `stop_timeout` seconds."""
        if self.process is None:
            return
        if self.process.poll() is None:
            _signal_group(self.process.pid, self.stop_signal)
            try:
                self.process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        else:
            _signal_group(self.process.pid, signal.SIGKILL)  # children of an exited leader
        self.process = None

    def kill(self) -> None:
        """SIGKILL at once, as a crash would."""
        if self.process is not None:
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class ServerFailed(RuntimeError):
    def __init__(self, server: ServerProcess, why: str) -> None:
        super().__init__(f"{server.name} {why}; log {server.log_path}:\n{server.log_tail()}")
        self.server = server


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    servers: Sequence[ServerProcess] = (),
    interval: float = 0.1,
) -> None:
    """Poll `check` until it returns True; fail early, with the log tail, when one of `servers` exits."""
    deadline = time.monotonic() + timeout
    while True:
        for server in servers:
            server.check_running()
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {s.name} ({s.log_path}):\n{s.log_tail()}" for s in servers)
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")
        time.sleep(interval)


def _runs(pid: int, program: str) -> bool:
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return False
    return Path(argv0).name == program


class PidFile:
    """Records the process groups one run started, and which process owns them, so that a later run can kill
    what a crashed run left behind without touching servers that another live run (or a detached `up`) owns."""

    DETACHED = 0  # owner of servers that outlive the process that started them, until `down`

    def __init__(self, path: Path, *, owner: int | None = None, workdir: Path | None = None) -> None:
        self.path = path
        self.owner = os.getpid() if owner is None else owner
        self.workdir = workdir

    def record(self, servers: Sequence[ServerProcess]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "owner": self.owner,
            "workdir": str(self.workdir) if self.workdir else None,
            "servers": [[s.pid, Path(s.argv[0]).name] for s in servers if s.pid],
        }
        self.path.write_text(json.dumps(state))

    def kill(self) -> int:
        """SIGKILL every recorded process group still running the recorded program; returns how many."""
        try:
            state = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return 0
        killed = 0
        for pid, program in state.get("servers", []):
            if _runs(int(pid), str(program)):  # the pid may have been reused by something else since
                _signal_group(int(pid), signal.SIGKILL)
                killed += 1
        if state.get("workdir"):
            shutil.rmtree(state["workdir"], ignore_errors=True)
        self.path.unlink(missing_ok=True)
        return killed

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def reap_orphans(directory: Path) -> int:
    """Kill the servers of runs whose owning process died without stopping them; returns how many groups."""
    killed = 0
    for path in directory.glob("*.json"):
        try:
            owner = int(json.loads(path.read_text()).get("owner", PidFile.DETACHED))
        except (OSError, ValueError):
            continue
        if owner != PidFile.DETACHED and not _alive(owner):
            killed += PidFile(path).kill()
    return killed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
