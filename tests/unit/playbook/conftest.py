"""Fixtures for playbook tests (the estate itself is built in ``estate.py``)."""

from __future__ import annotations

import pytest

from netmend.model import Inventory
from playbook.estate import build_inventory


@pytest.fixture
def inventory() -> Inventory:
    """The client/server estate with its default parts (missing-ingress on tcp/8443)."""
    return build_inventory()
