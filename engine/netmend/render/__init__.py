"""Renderers: turn the core's typed results into text, tables and machine formats.

Pure functions from a result to a string or a JSON document (rich renderables for
people); the faces print them.
"""

from __future__ import annotations

__all__: list[str] = []
