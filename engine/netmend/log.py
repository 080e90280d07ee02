"""structlog set-up: readable on a terminal, JSON lines otherwise.

Logs go to stderr so that ``--output json`` on stdout stays one clean JSON document.
The audit trail is not a log: see ``netmend.audit``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

import structlog

__all__ = ["configure_logging"]


def configure_logging(
    *, verbose: bool = False, json_lines: bool | None = None, stream: TextIO | None = None
) -> None:
    """Configure structlog once per process.

    ``json_lines`` defaults to "stderr is not a terminal" (CI, ChatOps, pipelines), which
    ``NETMEND_LOG_FORMAT=json|console`` overrides.
    """
    out = stream or sys.stderr
    forced = os.environ.get("NETMEND_LOG_FORMAT", "").lower()
    if json_lines is None:
        json_lines = forced == "json" or (forced != "console" and not out.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if verbose else logging.WARNING
        ),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
