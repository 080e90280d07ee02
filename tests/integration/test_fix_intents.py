"""`fix --intents`: a fix that would break a declared intent is rolled back, and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.aws.collector import collect_inventory
from netmend.demo.estates import build_estate
from netmend.run.restore import differences
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.test_fix_cli import _strip_ingress_to_nothing

pytestmark = pytest.mark.integration


def test_fix_breaking_a_declared_intent_is_rolled_back(
    aws: MotoAws, cli_env: Path, tmp_path: Path
) -> None:
    """The fix admits the flow, an intent says it must stay denied: rolled back, exit 1."""
    estate = build_estate(aws.ec2, "wrong-port")
    group = estate.ids["server_sg"]
    _strip_ingress_to_nothing(aws, group)
    intents = tmp_path / "intents.yaml"
    intents.write_text(
        "intents:\n"
        "  - name: client never reaches the api directly\n"
        f"    source: {estate.source}\n"
        f"    destination: {estate.destination}\n"
        "    protocol: tcp\n"
        "    port: 8443\n"
        "    expect: denied\n"
    )
    before = collect_inventory(aws.clients(), vpc_ids=[estate.vpc_id], quotas=False)
    result = run_cli(
        "fix",
        *estate.flow_args(),
        "--apply",
        "--yes",
        "--intents",
        str(intents),
        "--output",
        "json",
    )
    assert result.exit_code == 1, result.stderr
    document = result.json()
    assert document["status"] == "rolled_back"
    assert document["verification"]["passed"] is False
    assert any(
        "client never reaches the api directly" in p for p in document["verification"]["problems"]
    )
    assert document["rollback"]["differences"] == []
    after = collect_inventory(aws.clients(), vpc_ids=[estate.vpc_id], quotas=False)
    was, now = before.security_group(group), after.security_group(group)
    assert was is not None
    assert differences(now, was) == []


def test_verify_intents_cli_exit_codes(aws: MotoAws, cli_env: Path, tmp_path: Path) -> None:
    """`verify --intents`: exit 3 and the blocking component when violated, 0 when all hold."""
    estate = build_estate(aws.ec2, "wrong-port")
    intents = tmp_path / "intents.yaml"
    intents.write_text(
        "intents:\n"
        "  - name: client reaches the api\n"
        f"    source: {estate.source}\n"
        f"    destination: {estate.destination}\n"
        "    port: 8443\n"
        "    expect: allowed\n"
    )
    violated = run_cli("verify", "--intents", str(intents), "--output", "json")
    assert violated.exit_code == 3
    document = violated.json()
    assert document["violated"] == 1
    assert document["intents"][0]["held"] is False
    assert document["intents"][0]["explanations"][0]["component"] == estate.expected_component
    text = run_cli("verify", "--intents", str(intents))
    assert estate.expected_component in text.stdout
    intents.write_text(intents.read_text().replace("expect: allowed", "expect: denied"))
    held = run_cli("verify", "--intents", str(intents), "--output", "json")
    assert held.exit_code == 0
    assert held.json()["violated"] == 0
