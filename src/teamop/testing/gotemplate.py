"""Executes Go templates as the Posit Job Launcher does (text/template with sprig and Helm's functions), through
the `gotemplate` program in hack/gotemplate, so tests can run the launcher templates Connect and Workbench get.

    templates = GoTemplates({"job.tpl": ..., "rstudio-library-templates-data.tpl": ...})
    text = templates.execute("job.tpl", {"Job": {...}})
"""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teamop.testing.controlplane import REPO_ROOT, built_by_hack

BUILD_SCRIPT = REPO_ROOT / "hack" / "build-gotemplate.sh"


class TemplateError(Exception):
    """A template did not parse or did not execute; the message is gotemplate's."""


@functools.cache
def find_gotemplate() -> Path:
    """The gotemplate binary: $TEAMOP_GOTEMPLATE_BIN, or built (once, then cached) by hack/build-gotemplate.sh."""
    return built_by_hack(BUILD_SCRIPT, "TEAMOP_GOTEMPLATE_BIN", "gotemplate")


@dataclass(frozen=True)
class GoTemplates:
    """A templates directory as the launcher reads it: file name → text, parsed together so any file can
    `include` what another defines."""

    files: Mapping[str, str]

    def execute(self, name: str, data: Any) -> str:
        """The output of template file `name` given `data` (passed as JSON, as the launcher passes the job)."""
        if name not in self.files:
            raise KeyError(name)
        with tempfile.TemporaryDirectory(prefix="teamop-gotemplate-") as directory:
            paths = []
            for file_name, text in self.files.items():
                path = Path(directory) / file_name
                path.write_text(text)
                paths.append(path)
            ordered = sorted(paths, key=lambda path: path.name != name)  # the executed file first
            result = subprocess.run(
                [str(find_gotemplate()), *map(str, ordered)],
                input=json.dumps(data),
                capture_output=True,
                text=True,
                check=False,
            )
        if result.returncode != 0:
            raise TemplateError(result.stderr.strip())
        return result.stdout
