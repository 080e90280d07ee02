"""Run the real ``netmend`` entry point in-process, as a user's shell would.

``netmend.cli.main`` is called with argv, its stdout/stderr captured and SystemExit turned
into an exit code, so tests see exactly what a user sees (one-line errors, exit codes).
"""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

from netmend.cli import main

__all__ = ["CliResult", "run_cli"]


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(*args: str) -> CliResult:
    """``netmend ARGS...``; the environment (AWS_*, NETMEND_*) is the caller's."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["netmend", *args]
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        sys.argv = saved
    return CliResult(exit_code=code, stdout=out.getvalue(), stderr=err.getvalue())
