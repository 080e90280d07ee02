"""Reliability fixtures: the fault proxy in front of the session's moto server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MotoAws
from tests.reliability.matrix import FaultLab
from tests.reliability.wire import FaultProxy


@pytest.fixture(scope="session")
def fault_proxy(moto_server: str) -> Iterator[FaultProxy]:
    """The loopback proxy (tests/reliability/wire.py) before the moto server."""
    proxy = FaultProxy(moto_server).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def fault_lab(
    aws: MotoAws, fault_proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FaultLab:
    """The fault matrix harness on the reset moto server, with its own state dirs."""
    monkeypatch.chdir(tmp_path)  # no ./netmend.yaml from the checkout
    fault_proxy.reset()
    return FaultLab(aws.endpoint_url, fault_proxy, tmp_path)
