"""Where the CLI writes: rich on stdout for people, plain JSON for machines, stderr for errors."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from rich.console import Console

__all__ = ["OutputFormat", "emit_json", "error_console", "stdout_console"]


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def stdout_console() -> Console:
    # Built per call so tests that capture sys.stdout (CliRunner) see the output. Piped
    # output (CI logs, ChatOps) gets a wide page rather than rich's 80 columns, so ids
    # are never cut.
    width = None if sys.stdout.isatty() else 160
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, width=width)


def error_console() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def emit_json(document: BaseModel | Any) -> None:
    """Print one JSON document on stdout (nothing else goes to stdout in JSON mode).

    A core result (a pydantic model) is printed as its ``model_dump(mode="json")``: the
    result's fields are the JSON contract, and no face assembles the document itself.
    """
    if isinstance(document, BaseModel):
        document = document.model_dump(mode="json")
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()
