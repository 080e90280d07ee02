"""Checking declared intents for any face: which hold, which are violated, and where.

Offline against a saved inventory (``--inventory``, method local only), else live
through the chosen verification method. The result is an IntentReport (its
``model_dump(mode="json")`` is DESIGN.md's ``verify --output json``).
"""

from __future__ import annotations

from netmend.app.requests import VerifyIntentsRequest
from netmend.errors import BadInputError
from netmend.verify.report import IntentReport, check_intents

__all__ = ["verify_intents"]


def verify_intents(request: VerifyIntentsRequest) -> IntentReport:
    """Load the intents file and check every intent (BadInputError: exit 2)."""
    from netmend.verify.flow import METHODS, MethodVerifier
    from netmend.verify.intents import load_intents

    if request.method not in METHODS:
        raise BadInputError(f"unknown --method {request.method!r}: use {', '.join(METHODS)}")
    declared = load_intents(request.intents_file)
    if request.target.inventory_file is not None:
        if request.method != "local":
            raise BadInputError("--inventory checks offline: use --method local with it")
        return check_intents(request.target.inventory(), declared)
    return check_intents(MethodVerifier(request.method, request.target.clients()), declared)
