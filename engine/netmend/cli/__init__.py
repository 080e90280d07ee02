"""The ``netmend`` command (typer + rich): a face over the application core.

``netmend.cli:main`` is the console-script entry point; ``app`` is the typer app.
"""

from __future__ import annotations

from netmend.cli.commands import app, main

__all__ = ["app", "main"]
