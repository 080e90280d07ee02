"""The root-cause ids: the kinds of cause ``netmend.reach.causes`` names, owned here.

The pure classifier knows nothing of playbooks: it names each kind of cause with a plain
string id (``RootCause.playbook``, e.g. ``"wrong-port"``). Each id is the ``id`` of the
built-in ``scope: flow`` playbook that fixes it (playbooks/<id>.yaml), so the playbook
files are the one list. Adding a kind of cause (say ``lb-target-blocked``) is its
playbook file plus the classifier branch that names it;
tests/unit/playbook/test_root_causes.py checks that the two agree.
"""

from __future__ import annotations

from netmend.playbook.loader import load_playbooks

__all__ = ["root_cause_ids"]


def root_cause_ids() -> tuple[str, ...]:
    """The known root-cause ids: the built-in flow playbooks' ids, sorted."""
    return tuple(sorted(p.id for p in load_playbooks().by_scope("flow")))
