"""`netmend iam-policy`: read, verify and fix permissions (netmend.playbook.iam)."""

from __future__ import annotations

from netmend.playbook import iam_policy, load_playbook_text, load_playbooks

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
    assert all(":Describe" in a or ":Get" in a or ":List" in a for a in read)
    assert "ec2:StartNetworkInsightsAnalysis" in _actions(policy, "NetmendVerify")


def test_policy_follows_the_chosen_playbooks() -> None:
    """Only the chosen playbooks' actions (and their undo) are granted; none: read only."""
    acl = load_playbook_text(ACL_ONLY, "acl.yaml")
    fix = _actions(iam_policy([acl]), "NetmendFix")
    assert fix == ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAclEntry"]
    assert _actions(iam_policy([]), "NetmendFix") == []
