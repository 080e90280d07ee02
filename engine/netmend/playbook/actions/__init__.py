"""The built-in actions playbook steps name by ``use:``; importing a module registers it.

The registry imports them on first use (``netmend.playbook.registry``).
"""

__all__: list[str] = []
