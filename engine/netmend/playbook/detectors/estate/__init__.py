"""Estate-wide detectors for ``netmend scan`` (playbooks with ``scope: estate``).

Each detector looks at the whole inventory and returns ``{"findings": [...]}``: one
entry per resource with a problem, each carrying the evidence its playbook's ``explain``
and ``propose`` templates read (``evidence.group_id``, ``evidence.rule_id``, ...). The
scan (``netmend.scan``) turns the entries into findings, grades and silences them; a
``scan --fix`` runs the playbook's ``propose`` steps with one entry as the evidence.

Importing a module registers its detectors (the registry imports them on first use).
"""

from __future__ import annotations

__all__: list[str] = []
