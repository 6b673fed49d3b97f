"""Where `teamop dev` keeps its state, and the record of what `up` started (so that `down` can stop it)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_FILE = "dev.json"


def state_dir() -> Path:
    """`$TEAMOP_STATE`, else `~/.cache/teamop/dev`."""
    configured = os.environ.get("TEAMOP_STATE")
    return Path(configured) if configured else Path.home() / ".cache" / "teamop" / "dev"


@dataclass
class DevState:
    """What one `teamop dev up` started. Written before each server starts, so a crash leaves a usable record."""

    root: Path
    up_pid: int = 0
    """The `teamop dev up` process (it runs the operator); 0 once it has exited cleanly."""
    pid_files: list[str] = field(default_factory=list)
    """The PidFiles of the detached servers (control plane, PostgreSQL)."""
    workdirs: list[str] = field(default_factory=list)
    """Directories to remove on `down` (the servers' work directories may live outside `root`)."""
    kubeconfig: str = ""
    namespace: str = ""
    site: str = ""

    @property
    def path(self) -> Path:
        return self.root / STATE_FILE

    @property
    def controlplane_dir(self) -> Path:
        return self.root / "controlplane"

    @property
    def operator_log(self) -> Path:
        return self.root / "operator.log"

    @classmethod
    def load(cls, root: Path) -> DevState | None:
        try:
            data = json.loads((root / STATE_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "root"}
        return cls(root=root, **known)

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in asdict(self).items() if k != "root"}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1))
        temporary.replace(self.path)

    def add_server(self, pid_file: Path, workdir: Path) -> None:
        if str(pid_file) not in self.pid_files:
            self.pid_files.append(str(pid_file))
        if str(workdir) not in self.workdirs:
            self.workdirs.append(str(workdir))
        self.save()
