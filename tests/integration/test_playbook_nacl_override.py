"""nacl-override on a moto server: diagnose, dry run, apply, verify, roll back (runbook RC5).

moto 5.2.5 gives custom ACLs no 32767 entries (netmend's evaluator denies by default
anyway) and drops IcmpTypeCode on CreateNetworkAclEntry, so these cycles use TCP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netmend.demo.estates import build_estate
from netmend.demo.scaffold import Scaffold
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import assert_fine_estate_is_nothing_to_do

pytestmark = pytest.mark.integration


def _entries(changes: list[dict[str, Any]]) -> list[tuple[str, bool, str, tuple[int, int], int]]:
    return [
        (
            c["resource"],
            c["params"]["Egress"],
            c["params"]["CidrBlock"],
            (c["params"]["PortRange"]["From"], c["params"]["PortRange"]["To"]),
            c["params"]["RuleNumber"],
        )
        for c in changes
    ]


def test_nacl_override_cycle(aws: MotoAws, cli_env: Path) -> None:
    """ledger-api-restricted-acl admits inbound 443 only and already lets replies out to
    the VPC: one entry, inbound tcp/8443 from the client's /32 as rule 110 (the runbook's
    number, not its VPC CIDR); applied, verified, nothing lost, rolled back exactly."""
    estate = build_estate(aws.ec2, "nacl-override")
    acl = estate.ids["network_acl"]
    cycle = run_fix_cycle(aws.clients(), estate)

    assert cycle.diagnosis["exit_code"] == 3
    assert [(c["playbook"], c["resource"]) for c in cycle.diagnosis["root_causes"]] == [
        ("nacl-override", acl)
    ]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    (change,) = cycle.dry_run["changes"]
    assert change["api"] == "CreateNetworkAclEntry"
    assert change["params"] == {
        "NetworkAclId": acl,
        "RuleNumber": 110,
        "Protocol": "6",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "10.5.2.100/32",
        "PortRange": {"From": 8443, "To": 8443},
    }
    assert change["kinds"] == ["addition"]
    notes = " ".join(" ".join(cycle.dry_run["notes"]).split())
    assert (
        f"{acl} already passes the replies going out (to the client's ephemeral ports): "
        f"{acl} #100 allow tcp 1024-65535 10.5.0.0/16"
    ) in notes

    text = cycle.dry_run_text
    assert "aws ec2 create-network-acl-entry" in text
    assert "--rule-number 110" in text
    assert "--ingress" in text
    assert "--port-range From=8443,To=8443" in text
    assert "--egress" not in text

    cycle.assert_fixed_and_restored()


def test_explicit_deny_and_client_acl_cycle(aws: MotoAws, cli_env: Path) -> None:
    """Someone denies tcp 8000-9000 from the VPC at rule 105, and the client's subnet has
    an empty custom ACL: the server's entry goes before the deny (104) as a deny-override
    naming rule 105; the client's ACL gets the request out and the replies in, naming the
    server's /32. --yes approves; rolled back exactly."""
    estate = build_estate(aws.ec2, "nacl-override")
    scaffold = Scaffold(aws.ec2, "nacl-override")
    server_acl = estate.ids["network_acl"]
    scaffold.acl_entry(
        server_acl,
        105,
        egress=False,
        cidr=estate.ids["vpc_cidr"],
        ports=(8000, 9000),
        action="deny",
    )
    client_acl = scaffold.network_acl(estate.vpc_id, "ledger-web-acl", estate.ids["client_subnet"])
    cycle = run_fix_cycle(aws.clients(), estate)

    causes = [(c["playbook"], c["resource"]) for c in cycle.diagnosis["root_causes"]]
    assert ("nacl-override", client_acl) in causes
    assert ("nacl-override", server_acl) in causes
    assert cycle.dry_run["state_changes"] == []
    changes = cycle.dry_run["changes"]
    assert _entries(changes) == [
        (client_acl, True, "10.5.1.50/32", (8443, 8443), 100),
        (server_acl, False, "10.5.2.100/32", (8443, 8443), 104),
        (client_acl, False, "10.5.1.50/32", (1024, 65535), 100),
    ]
    assert [c["kinds"] for c in changes] == [["addition"], ["deny-override"], ["addition"]]
    assert "overrides someone's explicit deny" in cycle.dry_run_text
    assert "inbound rule 105: deny tcp 8000-9000 from 10.5.0.0/16" in " ".join(
        cycle.dry_run_text.split()
    )

    cycle.assert_fixed_and_restored()


def test_nacl_fixed_by_hand_is_nothing_to_do(aws: MotoAws, cli_env: Path) -> None:
    """After the runbook's own entries (110 in from the VPC), fix has nothing to do."""
    assert_fine_estate_is_nothing_to_do(aws, build_estate(aws.ec2, "nacl-override"))
