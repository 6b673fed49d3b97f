"""One clear line per step of `teamop dev up`: what it waits for, how long it took, and on failure why and which
log file to read."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

MAX_REASON_LINES = 25


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) while a step was running."""


class StepFailed(Exception):
    """A step failed; the reason and the logs to read are already on screen."""

    def __init__(self, step: str, why: str, logs: Sequence[Path]) -> None:
        super().__init__(f"{step}: {why}")
        self.step = step
        self.why = why
        self.logs = list(logs)


def describe(error: BaseException) -> str:
    """A one-screen reason for `error`: a failed command's own error output, else the exception's text."""
    if isinstance(error, subprocess.CalledProcessError):
        output = error.stderr or error.stdout or b""
        text = output.decode(errors="replace") if isinstance(output, bytes) else str(output)
        command = " ".join(str(a) for a in error.cmd[:3]) if isinstance(error.cmd, list) else str(error.cmd)
        return f"`{command} ...` exited with code {error.returncode}: {text.strip() or '(no output)'}"
    if isinstance(error, subprocess.TimeoutExpired):
        return f"`{error.cmd}` did not finish within {error.timeout:.0f} s"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@dataclass
class Step:
    progress: Progress
    title: str
    logs: list[Path] = field(default_factory=list)
    detail: str = ""
    started: float = field(default_factory=time.monotonic)

    def note(self, message: str) -> None:
        self.progress.line(f"    {message}")

    def done(self, detail: str) -> None:
        self.detail = detail

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class Progress:
    def __init__(self, total: int, out: TextIO | None = None) -> None:
        self.total = total
        self.out = out or sys.stdout
        self.number = 0
        self.started = time.monotonic()
        utf8 = (getattr(self.out, "encoding", None) or "").lower().replace("-", "") == "utf8"
        self.ok_mark, self.fail_mark, self.wait_mark = ("✓", "✗", "…") if utf8 else ("ok", "FAILED", "...")

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @contextmanager
    def step(self, title: str, waiting_for: str, logs: Sequence[Path] = ()) -> Iterator[Step]:
        """`[n/N] title: waiting for ...`, then `✓ detail (1.2 s)`; on an exception `✗ why` with the logs to
        read, raised again as StepFailed. Ctrl-C passes through as Interrupted."""
        self.number += 1
        self.line(f"[{self.number}/{self.total}] {title}: {waiting_for} {self.wait_mark}")
        step = Step(self, title, list(logs))
        try:
            yield step
        except (KeyboardInterrupt, Interrupted):
            self.line(f"    {self.fail_mark} interrupted after {step.elapsed:.1f} s")
            raise Interrupted(title) from None
        except StepFailed:
            raise
        except Exception as error:
            why = describe(error)
            lines = why.splitlines()
            if len(lines) > MAX_REASON_LINES:
                lines = [*lines[:5], "...", *lines[-(MAX_REASON_LINES - 6):]]
            self.line(f"    {self.fail_mark} {title} failed after {step.elapsed:.1f} s: {lines[0]}")
            for extra in lines[1:]:
                self.line(f"      {extra}")
            for log in step.logs:
                if log.exists():
                    self.line(f"    read: {log}")
            raise StepFailed(title, why, step.logs) from error
        self.line(f"    {self.ok_mark} {step.detail or 'done'} ({step.elapsed:.1f} s)")
