"""Root-cause classification of a blocked flow: which playbook fixes each drop.

``classify`` (in ``classify.py``) asks one module per kind of cause (acl, attach, quota,
sg, stateful); ``model.py`` holds the RootCause they return.
"""

from __future__ import annotations

from netmend.reach.causes.classify import PathPosition, RootCause, classify

__all__ = ["PathPosition", "RootCause", "classify"]
