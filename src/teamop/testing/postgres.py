"""A real PostgreSQL server from Debian's packages, in a temporary directory, on a free loopback port.

PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres` user (created by
Debian's package) or `nobody`, and its directory is handed to that user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from teamop.testing.processes import PIDS_DIR, PidFile, ServerProcess, free_port, reap_orphans, wait_until


def find_postgres_bin() -> Path:
    """The newest PostgreSQL server binaries: $TEAMOP_POSTGRES_BIN, or Debian's /usr/lib/postgresql/<v>/bin."""
    configured = os.environ.get("TEAMOP_POSTGRES_BIN")
    if configured:
        return Path(configured)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name), reverse=True
    )
    if not candidates:
        raise RuntimeError("PostgreSQL server not found: apt-get install postgresql (or set TEAMOP_POSTGRES_BIN)")
    return candidates[0].parent


def _unprivileged_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` user exists to run PostgreSQL")


def _drop_to(user: pwd.struct_passwd | None) -> Callable[[], None] | None:
    if user is None:
        return None

    def demote() -> None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return demote


@dataclass
class PostgresServer:
    """`dsn` is the superuser's connection URL (password authentication over TCP)."""

    bin_dir: Path = field(default_factory=find_postgres_bin)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="teamop-pg-")))
    superuser: str = "postgres"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    server: ServerProcess | None = None
    startup_seconds: float = 0.0

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.superuser}:{quote(self.password, safe='')}@{self.host}:{self.port}/postgres"

    @property
    def admin_url_without_credentials(self) -> str:
        """The URL form the Go operator keeps under `main-database-url` when credentials live elsewhere."""
        return f"postgres://{self.host}:{self.port}/postgres?sslmode=disable"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    def start(self) -> PostgresServer:
        started = time.monotonic()
        reap_orphans(PIDS_DIR)
        user = _unprivileged_user()
        log_dir = self.workdir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        password_file = self.workdir / "pwfile"
        password_file.write_text(self.password + "\n")
        if user is not None:
            os.chmod(self.workdir, 0o755)
            for path in (self.workdir, log_dir, password_file):
                os.chown(path, user.pw_uid, user.pw_gid)
        subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                f"--pgdata={self.data_dir}",
                f"--username={self.superuser}",
                f"--pwfile={password_file}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            preexec_fn=_drop_to(user),
        )
        password_file.unlink()
        self.server = ServerProcess(
            "postgres",
            [
                str(self.bin_dir / "postgres"),
                "-D", str(self.data_dir),
                "-p", str(self.port),
                "-c", f"listen_addresses={self.host}",
                "-c", f"unix_socket_directories={self.workdir}",
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
                "-c", "max_connections=200",
            ],
            log_dir,
            preexec_fn=_drop_to(user),
            stop_signal=signal.SIGINT,  # "fast" shutdown: SIGTERM would wait for every client to leave
            stop_timeout=10,
        )
        self.server.start()
        self.pid_file = PidFile(PIDS_DIR / f"{self.workdir.name}.json", workdir=self.workdir)
        self.pid_file.record([self.server])
        wait_until(self._accepting, timeout=30, what="PostgreSQL to accept connections", servers=[self.server])
        self.startup_seconds = time.monotonic() - started
        print(f"[postgres] ready in {self.startup_seconds:.1f} s on {self.host}:{self.port}", file=sys.stderr)
        return self

    def _accepting(self) -> bool:
        result = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", self.host, "-p", str(self.port), "-t", "1"],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def stop(self, *, remove_workdir: bool = True) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
            self.pid_file.clear()
        if remove_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def stop_server_only(self) -> None:
        """Stop the server but keep its data, as an outage would."""
        if self.server is not None:
            self.server.stop()

    def start_again(self) -> None:
        if self.server is None:
            raise RuntimeError("start() was never called")
        self.server.start()
        self.pid_file.record([self.server])
        wait_until(self._accepting, timeout=30, what="PostgreSQL to accept connections", servers=[self.server])

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
