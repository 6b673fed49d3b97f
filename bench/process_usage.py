"""CPU seconds and memory of processes, from /proc (Linux)."""

from __future__ import annotations

import os
import re
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (its own threads, not its children)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mb(pid: int, *, peak: bool = False) -> float:
    """Resident memory now (VmRSS), or the peak so far (VmHWM), in MB (MiB)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"{'VmHWM' if peak else 'VmRSS'}:\s+(\d+)", status)
    return int(match.group(1)) / 1024 if match else float("nan")


class CpuMeter:
    """CPU seconds each named process used between `start` and `stop`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = dict(pids)
        self._start: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def start(self) -> CpuMeter:
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        self.used = {name: cpu_seconds(pid) - self._start[name] for name, pid in self.pids.items()}
        return self.used
