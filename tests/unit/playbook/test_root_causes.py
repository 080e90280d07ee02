"""The root-cause ids the classifier can name and the playbook files agree, both ways.

``netmend.reach.causes`` names a cause with a string literal at each place it makes one
(``RootCause(playbook="...")`` or ``make_cause("...", ...)``); this reads those places
from the source, so a new kind of cause without a playbook file (or a flow playbook no
cause leads to) fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import netmend.reach.causes
from netmend.playbook import load_playbooks, root_cause_ids

CAUSES = Path(netmend.reach.causes.__file__).parent


def _named_ids() -> dict[str, set[str]]:
    """Every id the classifier can put in a RootCause, by module; a non-literal fails."""
    found: dict[str, set[str]] = {}
    for path in sorted(CAUSES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "RootCause":
                given = next(k.value for k in node.keywords if k.arg == "playbook")
                if path.name == "sg.py" and isinstance(given, ast.Name):
                    continue  # make_cause's own body: its callers are read below
            elif node.func.id == "make_cause":
                given = node.args[0]
            else:
                continue
            assert isinstance(given, ast.Constant), f"{path.name}:{node.lineno}: not a literal id"
            assert isinstance(given.value, str)
            found.setdefault(path.name, set()).add(given.value)
    return found


def test_every_cause_the_classifier_names_has_a_playbook_and_back() -> None:
    """The ids named in reach/causes are exactly the built-in flow playbooks' ids."""
    named = set().union(*_named_ids().values())
    assert named == set(root_cause_ids())


def test_each_root_cause_id_is_its_playbook_files_id() -> None:
    """A root-cause id is the ``id`` of the file playbooks/<id>.yaml, a flow playbook."""
    playbooks = load_playbooks()
    for cause in root_cause_ids():
        playbook = playbooks.require(cause)
        assert playbook.scope == "flow"
        assert Path(playbook.path).name == f"{cause}.yaml"
