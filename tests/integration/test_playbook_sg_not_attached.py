"""sg-not-attached on a moto server: diagnose, dry run, apply, verify, roll back (runbook RC7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import BuiltEstate, build_estate
from netmend.demo.scaffold import Scaffold, permission
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import (
    assert_fine_estate_is_nothing_to_do,
    live_vpc_states,
)

pytestmark = pytest.mark.integration


def _eni_groups(aws: MotoAws, eni_id: str) -> list[str]:
    eni = aws.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    return [g["GroupId"] for g in eni[0].get("Groups", [])]


def _second_candidate(aws: MotoAws, estate: BuiltEstate, name: str) -> str:
    """Another unattached group admitting tcp/8443 from the web tier, named ``name``."""
    group = Scaffold(aws.ec2, "sg-not-attached").group(estate.vpc_id, name, "Inventory API")
    aws.ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[permission("tcp", 8443, group_id=estate.ids["client_sg"])],
    )
    return group


def test_sg_not_attached_cycle(aws: MotoAws, cli_env: Path) -> None:
    """inventory-api-sg was never attached: the plan sets the ENI's groups to the default
    group it has plus inventory-api-sg (the runbook's modify-network-interface-attribute,
    keeping the others); applied, verified, nothing lost; rollback restores the exact list."""
    estate = build_estate(aws.ec2, "sg-not-attached")
    eni, default, forgotten = (
        estate.ids["server_eni"],
        estate.ids["default_sg"],
        estate.ids["unattached_sg"],
    )
    assert _eni_groups(aws, eni) == [default]
    cycle = run_fix_cycle(aws.clients(), estate)

    assert cycle.diagnosis["exit_code"] == 3
    assert [(c["playbook"], c["resource"]) for c in cycle.diagnosis["root_causes"]] == [
        ("sg-not-attached", eni)
    ]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    (change,) = cycle.dry_run["changes"]
    assert change["api"] == "ModifyNetworkInterfaceAttribute"
    assert change["params"] == {"NetworkInterfaceId": eni, "Groups": [default, forgotten]}
    assert change["kinds"] == ["eni-groups"]
    assert any("approval required" in n for n in cycle.dry_run["notes"])

    text = " ".join(cycle.dry_run_text.split())
    assert "aws ec2 modify-network-interface-attribute" in text
    assert f"--groups {default} {forgotten}" in text
    assert f"inbound tcp 8443 from {estate.ids['client_sg']}" in text

    cycle.assert_fixed_and_restored()
    assert _eni_groups(aws, eni) == [default]


def test_several_candidates_need_group(aws: MotoAws, cli_env: Path) -> None:
    """A second group also named for the instance: fix lists both and asks for --group
    (exit 1, nothing written); --group then picks the second one."""
    estate = build_estate(aws.ec2, "sg-not-attached")
    other = _second_candidate(aws, estate, "inventory-api-canary-sg")
    before = live_vpc_states(aws, estate.vpc_id)

    refused = run_cli("fix", *estate.flow_args())
    assert refused.exit_code == 1
    message = " ".join(refused.stderr.split())
    assert f"{estate.ids['unattached_sg']} (inventory-api-sg" in message
    assert f"{other} (inventory-api-canary-sg" in message
    assert "--group" in message
    assert live_vpc_states(aws, estate.vpc_id) == before

    chosen = run_cli("fix", *estate.flow_args(), "--group", other, "--output", "json")
    assert chosen.exit_code == 0, chosen.stderr
    (change,) = chosen.json()["changes"]
    assert change["params"]["Groups"] == [estate.ids["default_sg"], other]


def test_full_interface_is_refused(aws: MotoAws, cli_env: Path) -> None:
    """The ENI already carries five groups: fix refuses with the quota, writes nothing."""
    estate = build_estate(aws.ec2, "sg-not-attached")
    scaffold = Scaffold(aws.ec2, "sg-not-attached")
    fillers = [scaffold.group(estate.vpc_id, f"filler-{i}", "filler") for i in range(4)]
    eni = estate.ids["server_eni"]
    aws.ec2.modify_network_interface_attribute(
        NetworkInterfaceId=eni, Groups=[estate.ids["default_sg"], *fillers]
    )
    before = live_vpc_states(aws, estate.vpc_id)

    refused = run_cli("fix", *estate.flow_args(), "--apply", "--yes")
    assert refused.exit_code == 1
    message = " ".join(refused.stderr.split())
    assert "already carries 5 security groups" in message
    assert "quota (L-2AFB9258, service code vpc) is 5" in message
    assert live_vpc_states(aws, estate.vpc_id) == before


def test_sg_not_attached_fixed_by_hand_is_nothing_to_do(aws: MotoAws, cli_env: Path) -> None:
    """Once the group is attached by hand, fix has nothing to do."""
    assert_fine_estate_is_nothing_to_do(aws, build_estate(aws.ec2, "sg-not-attached"))
