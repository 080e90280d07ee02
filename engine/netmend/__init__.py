"""netmend: find out why traffic inside AWS is silently dropped, and fix it safely."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0.dev0"
