"""`teamop dev down`: stop everything `teamop dev up` started and remove its state. Idempotent."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from teamop.dev.state import STATE_FILE, DevState, state_dir
from teamop.testing.processes import PidFile

UP_GRACE_SECONDS = 30.0


def process_state(pid: int) -> str | None:
    """The state letter of a process (`R`, `S`, `Z`, ...), or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[0]


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, killed but not yet reaped, is not)."""
    return pid > 0 and process_state(pid) not in (None, "Z", "X")


def is_dev_up(pid: int) -> bool:
    """Whether `pid` is a running `teamop dev up` (and not some process that reused the pid)."""
    if not running(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(b"teamop" in arg for arg in argv) and b"dev" in argv and b"up" in argv


def recorded_pids(pid_file: Path) -> list[int]:
    try:
        return [int(pid) for pid, _ in json.loads(pid_file.read_text()).get("servers", [])]
    except (OSError, ValueError, TypeError):
        return []


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of `pids` runs; returns those still running after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if running(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def stop_up_process(pid: int, say: Callable[[str], None]) -> None:
    """SIGTERM a running `teamop dev up` (it stops its operator and servers), SIGKILL if it does not exit."""
    if pid == os.getpid() or not is_dev_up(pid):
        return
    say(f"stopping `teamop dev up` (pid {pid}) and its operator")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_gone([pid], UP_GRACE_SECONDS):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_gone([pid], 5)


def down(root: Path | None = None, say: Callable[[str], None] | None = None) -> int:
    """Stop what `up` recorded under `root` and remove its state; returns the number of process groups killed."""
    root = root or state_dir()
    say = say or (lambda message: print(f"[dev down] {message}", file=sys.stderr, flush=True))
    state = DevState.load(root)
    killed = 0
    if state is not None:
        stop_up_process(state.up_pid, say)
        for path in map(Path, state.pid_files):
            pids = recorded_pids(path)
            killed += PidFile(path).kill()
            left = wait_gone(pids, 10)
            if left:
                say(f"processes {left} did not exit after SIGKILL")
        for workdir in state.workdirs:
            shutil.rmtree(workdir, ignore_errors=True)
    for name in (STATE_FILE, "operator.log", "build-controlplane.log"):
        (root / name).unlink(missing_ok=True)
    for name in ("controlplane", "postgres", "crds"):
        shutil.rmtree(root / name, ignore_errors=True)
    for directory in (root / "servers", root):  # only when nothing else lives there
        with contextlib.suppress(OSError):
            directory.rmdir()
    if state is not None:
        say(f"stopped {killed} server process group(s); removed the state in {root}")
    return killed


def down_command(args: argparse.Namespace) -> int:
    root = state_dir()
    if DevState.load(root) is None and not root.exists():
        print(f"[dev down] nothing to stop: no state in {root}", file=sys.stderr)
        return 0
    down(root)
    return 0
