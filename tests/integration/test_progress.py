"""Progress while collecting (issue 11, item 8): every resource type is told with its
count; off a terminal nothing is drawn (stdout and stderr stay clean)."""

from __future__ import annotations

import io
from contextlib import redirect_stderr

import pytest

from netmend.aws.collector import collect_inventory
from netmend.demo.estates import build_estate
from netmend.render.progress import collection_progress
from tests.conftest import MotoAws

pytestmark = pytest.mark.integration


def test_collection_tells_each_kind_with_its_count(aws: MotoAws) -> None:
    build_estate(aws.ec2, "wrong-port")
    told: list[tuple[str, int]] = []
    inventory = collect_inventory(aws.clients(), progress=lambda k, n: told.append((k, n)))
    counts = dict(told)
    assert counts["security groups"] == len(inventory.security_groups) > 0
    assert counts["network interfaces"] == len(inventory.network_interfaces) > 0
    assert counts["subnets"] == len(inventory.subnets)
    assert [k for k, _ in told][:3] == ["VPCs", "subnets", "route tables"]


def test_off_a_terminal_progress_draws_nothing() -> None:
    err = io.StringIO()
    with redirect_stderr(err), collection_progress() as progress:
        progress("security groups", 3)
    assert err.getvalue() == ""
