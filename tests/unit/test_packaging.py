"""Packaging: every sub-package ships, and the built-in playbooks are found."""

from __future__ import annotations

import importlib.resources
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_subpackage_is_listed_in_pyproject() -> None:
    """A folder of engine/netmend with an __init__.py is listed, or the wheel would lack it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT / "engine").parts)
        for p in (ROOT / "engine" / "netmend").rglob("__init__.py")
    }
    assert found <= listed, f"missing from pyproject packages: {sorted(found - listed)}"


def test_builtin_playbooks_resolve_from_the_checkout() -> None:
    """netmend.playbooks maps to the top-level playbooks/ folder."""
    folder = importlib.resources.files("netmend.playbooks")
    assert Path(str(folder)).resolve() == (ROOT / "playbooks").resolve()
