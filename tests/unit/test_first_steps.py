"""A new user's first steps: the examples README and `make demo` (issue 11, items 8, 15)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_examples_activate_the_venv_before_the_first_command() -> None:
    """The first shell block of examples/README.md sources the venv before it runs
    `moto_server`, `python` or `netmend` (they are only on PATH inside it)."""
    text = (ROOT / "examples" / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block is not None
    lines = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    activate = next(i for i, line in enumerate(lines) if "bin/activate" in line)
    first_tool = next(
        i for i, line in enumerate(lines) if line.startswith(("moto_server", "python", "netmend"))
    )
    assert activate < first_tool


MAKE = shutil.which("make")


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_make_says_what_it_installs_before_the_silent_pip_step() -> None:
    """`make -n -B demo` lists the recipe: a message precedes each quiet pip call."""
    recipe = subprocess.run(  # noqa: S603  # make, found on PATH, with fixed arguments
        [str(MAKE), "-n", "-B", "demo"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    pip_lines = [i for i, line in enumerate(recipe) if "pip install --quiet" in line]
    assert pip_lines
    for i in pip_lines:
        assert recipe[i - 1].startswith('echo "netmend: '), recipe[i - 1]
