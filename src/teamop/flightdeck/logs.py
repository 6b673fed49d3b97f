"""structlog for the Flightdeck server: LOG_FORMAT text (console) or json, at LOG_LEVEL."""

from __future__ import annotations

import logging
import sys
from typing import TextIO, cast

import structlog

from teamop.flightdeck.settings import LogFormat
from teamop.runtime.logging import StandardError


def configure_logging(log_format: LogFormat, level: str) -> None:
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if log_format == "json":
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(cast(TextIO, StandardError())),
        cache_logger_on_first_use=True,
    )
    # aiohttp and kubernetes-asyncio log through the standard library; keep them at the same threshold.
    logging.basicConfig(level=numeric_level, stream=cast(TextIO, StandardError()),
                        format="%(levelname)s %(name)s: %(message)s")
