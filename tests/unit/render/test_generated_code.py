"""Generated code runs: the tools that read it parse it (issue 11, item 1).

A plan with many changes (IPv4, IPv6 and group peers, ingress and egress, an ACL entry,
an interface's groups, a revocation) and a change id of a whole sentence is printed the
way `netmend fix --format F` prints it, through a console narrower than every line; the
output is then read by ``bash -n`` plus botocore's validator (awscli), python-hcl2
(Terraform) and a YAML loader with CloudFormation's tags. The changes come from the real
actions, so their parameters are the ones netmend would send.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from playbook.estate import RUN_ID, build_inventory, make_context, sg_rule, with_resources
from rich.console import Console

from netmend.model import Inventory
from netmend.model.protocol import protocol_number
from netmend.playbook import get_action
from netmend.render.run import write_plan
from netmend.run.plan import Change, Plan
from tests.generated_code import parse_awscli, parse_cloudformation, parse_terraform

CHANGE_ID = (
    "CHG-2025-0001234567: open the payments API port for the checkout service after the "
    "migration of the cluster to the new VPC, approved by the network CAB on 2025-05-01"
)
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("sg.authorize-ingress", {"group": "sg-server", "protocol": "tcp", "ports": 8443,
                              "peer": "2001:db8:1234:5678:9abc:def0:1234:5678"}),
    ("sg.authorize-ingress", {"group": "sg-server", "protocol": "udp", "ports": "1024-65535",
                              "peer": "2001:db8:ffff::/48"}),
    ("sg.authorize-ingress", {"group": "sg-server", "protocol": "tcp", "ports": 443,
                              "peer": "sg-client"}),
    ("sg.authorize-ingress", {"group": "sg-server", "protocol": "icmpv6", "icmp_type": 128,
                              "peer": "::/0"}),
    ("sg.authorize-egress", {"group": "sg-client", "protocol": "tcp", "ports": 5432,
                             "peer": "10.0.2.0/24"}),
    ("sg.revoke-rule", {"group": "sg-server", "rule_id": "sgr-server1"}),
    ("acl.create-entry", {"acl": "acl-main", "rule_number": 90, "egress": False,
                          "protocol": "tcp", "ports": 8443, "cidr": "2001:db8::/32"}),
    ("eni.add-group", {"eni": "eni-server", "group": "sg-spare"}),
]  # fmt: skip


def _many_changes() -> Plan:
    ssh = sg_rule("sg-server", 1, protocol="tcp", from_port=22, to_port=22, cidr_ipv4="10.9.0.0/16")
    inventory: Inventory = build_inventory(server_rules=(ssh,))
    changes: list[Change] = []
    for name, params in STEPS:
        action = get_action(name)
        assert action is not None
        ctx = make_context(inventory, change_id=CHANGE_ID)
        proposed = action.propose(ctx, action.params.model_validate(params))
        changes += proposed
        inventory = with_resources(inventory, *(c.after for c in proposed if c.after))
    return Plan(run_id=RUN_ID, changes=tuple(changes), change_id=CHANGE_ID, region="eu-west-1")


def _printed(plan: Plan, fmt: str) -> str:
    """What `fix --format FMT` puts on stdout, through a 40-column, non-terminal console."""
    out = io.StringIO()
    console = Console(file=out, width=40, force_terminal=False, color_system=None)
    write_plan(plan, fmt, console, file=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _many_changes()


def test_awscli_parses_and_makes_the_plans_calls(plan: Plan) -> None:
    """Every command passes bash -n and botocore's validator, and carries the plan's
    own parameters: the IPv6 peers and the full change id, unbroken."""
    calls = parse_awscli(_printed(plan, "awscli"))

    assert [api for api, _ in calls] == [c.api for c in plan.changes]
    for (_, params), change in zip(calls, plan.changes, strict=True):
        for key, value in change.params.items():
            if key == "Protocol":  # the CLI writes an ACL's protocol by name, as AWS allows
                assert protocol_number(params[key]) == protocol_number(value)
            else:
                assert params[key] == value, key
    v6 = calls[0][1]["IpPermissions"][0]["Ipv6Ranges"][0]
    assert v6["CidrIpv6"] == "2001:db8:1234:5678:9abc:def0:1234:5678/128"
    assert CHANGE_ID in v6["Description"]


def test_terraform_parses_with_the_full_description(plan: Plan) -> None:
    """python-hcl2 reads the file; every added rule is a resource whose description
    holds the whole change id (Terraform rejects a string split across lines)."""
    document = parse_terraform(_printed(plan, "terraform"))

    resources = [body for block in document["resource"] for body in block.values()]
    rules = [r for block in resources for r in block.values() if "ip_protocol" in r]
    peers = {r.get("cidr_ipv6") or r.get("cidr_ipv4") or r.get("referenced_security_group_id")
             for r in rules}  # fmt: skip
    assert {"2001:db8:1234:5678:9abc:def0:1234:5678/128", "2001:db8:ffff::/48", "::/0"} <= peers
    assert all(CHANGE_ID in r["description"] for r in rules if "description" in r)


def test_cloudformation_parses_as_a_template(plan: Plan) -> None:
    """The YAML loads (with CloudFormation's tags) into Resources of AWS types."""
    template = parse_cloudformation(_printed(plan, "cloudformation"))

    resources = template["Resources"]
    assert resources
    kinds = {r["Type"] for r in resources.values()}
    assert "AWS::EC2::SecurityGroupIngress" in kinds
    described = [r["Properties"]["Description"] for r in resources.values()
                 if "Description" in r.get("Properties", {})]  # fmt: skip
    assert described
    assert all(CHANGE_ID in d for d in described)
    addresses = {str(r["Properties"].get("CidrIpv6")) for r in resources.values()}
    assert "2001:db8:ffff::/48" in addresses
