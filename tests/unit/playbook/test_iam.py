"""`netmend iam-policy`: read, verify and fix permissions (netmend.playbook.iam)."""

from __future__ import annotations

from typing import Any

import pytest

from netmend.aws.reachability import path_request
from netmend.playbook import get_action, iam_policy, load_playbook_text, load_playbooks
from netmend.playbook.iam import VERIFY_PERMISSIONS
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.run.plan import Change
from playbook.estate import RUN_ID, build_inventory, make_context, sg_rule

ACL_ONLY = """\
id: acl-only
title: ACL only
scope: flow
severity: low
detect: [{use: cause.present, with: {id: nacl-override}}]
propose:
  - use: acl.create-entry
    with: {acl: acl-1, rule_number: 10, egress: false, protocol: "-1", cidr: 10.0.0.0/16}
explain: x
"""


def _actions(policy: dict[str, object], sid: str) -> list[str]:
    statements = policy["Statement"]
    assert isinstance(statements, list)
    found = [s for s in statements if s["Sid"] == sid]
    return list(found[0]["Action"]) if found else []


def test_policy_for_missing_ingress() -> None:
    """missing-ingress needs its authorize and, for rollback, the matching revoke only."""
    policy = iam_policy([load_playbooks().require("missing-ingress")])
    assert policy["Version"] == "2012-10-17"
    assert _actions(policy, "NetmendFix") == [
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupIngress",
    ]
    read = _actions(policy, "NetmendRead")
    assert "ec2:DescribeSecurityGroupRules" in read
    assert "servicequotas:GetServiceQuota" in read
    # reads only (SearchTransitGatewayRoutes is the transit-gateway route tables' read)
    assert all(":Describe" in a or ":Get" in a or ":List" in a or ":Search" in a for a in read)
    assert "ec2:StartNetworkInsightsAnalysis" in _actions(policy, "NetmendVerify")


def test_policy_follows_the_chosen_playbooks() -> None:
    """Only the chosen playbooks' actions (and their undo) are granted; none: read only."""
    acl = load_playbook_text(ACL_ONLY, "acl.yaml")
    fix = _actions(iam_policy([acl]), "NetmendFix")
    assert fix == ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAclEntry"]
    assert _actions(iam_policy([]), "NetmendFix") == []


# What each step really calls, tags included (issue 11, item 4): a step's changes are
# its AWS calls, a call carrying TagSpecifications also needs ec2:CreateTags, and the
# inverse of each change (its rollback) must be covered by the rollback permissions.
STEPS: list[tuple[str, dict[str, Any]]] = [
    (
        "sg.authorize-ingress",
        {"group": "sg-server", "protocol": "tcp", "ports": 8443, "peer": "sg-client"},
    ),
    (
        "sg.authorize-egress",
        {"group": "sg-client", "protocol": "udp", "ports": 53, "peer": "10.0.2.0/24"},
    ),
    ("sg.revoke-rule", {"group": "sg-server", "rule_id": "sgr-server1"}),
    (
        "acl.create-entry",
        {
            "acl": "acl-main",
            "rule_number": 90,
            "egress": False,
            "protocol": "tcp",
            "ports": 8443,
            "cidr": "10.0.1.0/24",
        },
    ),
    ("eni.add-group", {"eni": "eni-server", "group": "sg-spare"}),
    (
        "sg.create-group",
        {
            "ref": f"new-sg:{RUN_ID}:1",
            "name": "overflow",
            "vpc": "vpc-1",
            "overflow_of": "sg-server",
        },
    ),
]


def _needed(changes: list[Change]) -> set[str]:
    needed = {f"{c.service}:{c.api}" for c in changes}
    if any("TagSpecifications" in c.params for c in changes):
        needed.add("ec2:CreateTags")
    return needed


@pytest.mark.parametrize(("name", "params"), STEPS, ids=[s[0] for s in STEPS])
def test_each_step_declares_what_it_calls_tags_included(name: str, params: dict[str, Any]) -> None:
    action = get_action(name)
    assert action is not None
    ssh = sg_rule("sg-server", 1, protocol="tcp", from_port=22, to_port=22, cidr_ipv4="10.9.0.0/16")
    ctx = make_context(build_inventory(server_rules=(ssh,)))
    changes = action.propose(ctx, action.params.model_validate(params))
    assert changes
    assert _needed(changes) <= set(action.permissions)
    inverses = [i for c in changes if (i := action.invert(c)) is not None]
    assert _needed(inverses) <= set(action.rollback_permissions) | set(action.permissions)


def test_the_verify_statement_covers_reachability_analyzers_tagged_creates() -> None:
    """Paths and analyses are created with TagSpecifications: CreateTags is granted."""
    flow = Flow(
        source=Endpoint(kind=EndpointKind.ENI, address="10.0.1.10", eni_id="eni-1", given="eni-1"),
        destination=Endpoint(
            kind=EndpointKind.ENI, address="10.0.2.20", eni_id="eni-2", given="eni-2"
        ),
        protocol="tcp",
        port=443,
    )
    request = path_request(flow, tag_run_id=RUN_ID)
    assert request["TagSpecifications"]
    assert {"ec2:CreateNetworkInsightsPath", "ec2:CreateTags"} <= set(VERIFY_PERMISSIONS)
    assert "ec2:CreateTags" in _actions(iam_policy([]), "NetmendVerify")
