"""Integration fixtures: the CLI pointed at the moto server, with its own state dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MotoAws


@pytest.fixture
def cli_env(aws: MotoAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment for ``run_cli``: endpoint, region and a fresh NETMEND_STATE_DIR."""
    state = tmp_path / "state"
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
    monkeypatch.setenv("AWS_REGION", aws.region)
    monkeypatch.setenv("NETMEND_STATE_DIR", str(state))
    monkeypatch.delenv("NETMEND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./netmend.yaml from the checkout
    return state
