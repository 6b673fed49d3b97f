"""structlog set up for the operator: JSON lines in a cluster (or when asked), readable console output locally."""

from __future__ import annotations

import logging
import os
import sys
from typing import Literal, TextIO, cast

import structlog

LogFormat = Literal["json", "console", "auto"]


def in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


class StandardError:
    """Whatever `sys.stderr` is when a line is written, not when logging was configured: a caller that swaps it for
    a while (a test capturing output, a command run in-process) must not leave the loggers writing to a closed
    file afterwards."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(format: LogFormat = "auto", level: str = "info", stream: TextIO | None = None) -> None:
    """Configure structlog (and route the standard library's logging through the same output): to `stream`,
    standard error by default."""
    explicit = stream is not None
    stream = stream or cast(TextIO, StandardError())
    chosen = format
    if chosen == "auto":
        chosen = "json" if in_cluster() or not stream.isatty() else "console"
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"unknown log level {level!r}")
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: structlog.types.Processor
    if chosen == "json":
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=stream.isatty())
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=numeric_level, stream=stream, format="%(levelname)s %(name)s: %(message)s",
                        force=explicit)
