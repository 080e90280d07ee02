"""`netmend iam-policy`: the least IAM policy netmend needs to read, fix and roll back.

Read: the describe calls the collector makes (``netmend.aws.collector``; keep in step).
Verify: Reachability Analyzer (its own calls plus the tiros permissions it relies on).
Fix: every action the chosen playbooks name, and the actions that undo them, since a
run that fails verification rolls itself back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from netmend.playbook.registry import actions
from netmend.playbook.schema import Playbook

__all__ = ["READ_PERMISSIONS", "VERIFY_PERMISSIONS", "fix_permissions", "iam_policy"]

READ_PERMISSIONS = (
    # netmend scan's signals (netmend.aws.signals): the ENA conntrack metric, the
    # SSM interface endpoints
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "ec2:DescribeVpcEndpoints",
    # the collector's gateways and public addresses (real-account shapes): found
    # missing by tests/reliability/test_least_privilege.py, which records every call
    "ec2:DescribeAddresses",
    "ec2:DescribeEgressOnlyInternetGateways",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeTransitGatewayRouteTables",
    "ec2:DescribeTransitGatewayVpcAttachments",
    "ec2:SearchTransitGatewayRoutes",
    "ec2:DescribeVpnConnections",
    "ec2:DescribeVpnGateways",
    "ec2:DescribeInstances",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroupReferences",  # scan's signal; the check before a delete
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTransitGatewayAttachments",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeVpcs",
    "ec2:GetManagedPrefixListEntries",
    # Elastic Load Balancing v2 (netmend.aws.balancing)
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "servicequotas:GetAWSDefaultServiceQuota",
    "servicequotas:GetServiceQuota",
)

# Reachability Analyzer: the calls netmend.aws.reachability makes. Paths and analyses are
# tagged as they are created (TagSpecifications, so a leftover is found by its tag), and
# IAM authorises tag-on-create as ec2:CreateTags. Nothing netmend makes is untagged later
# (deleting a path or group takes its tags with it), so no ec2:DeleteTags.
VERIFY_PERMISSIONS = (
    "ec2:CreateNetworkInsightsPath",
    "ec2:CreateTags",
    "ec2:DeleteNetworkInsightsAnalysis",
    "ec2:DeleteNetworkInsightsPath",
    "ec2:DescribeNetworkInsightsAnalyses",
    "ec2:DescribeNetworkInsightsPaths",
    "ec2:StartNetworkInsightsAnalysis",
    "tiros:CreateQuery",
    "tiros:GetQueryAnswer",
    "tiros:GetQueryExplanation",
)


def fix_permissions(playbooks: Iterable[Playbook]) -> tuple[str, ...]:
    """Permissions of every action the playbooks propose, and of the actions undoing them."""
    registry = actions()
    permissions: set[str] = set()
    for playbook in playbooks:
        for step in playbook.propose:
            found = registry.get(step.use)
            if found is not None:
                permissions.update(found.permissions, found.rollback_permissions)
    return tuple(sorted(permissions))


def iam_policy(playbooks: Iterable[Playbook]) -> dict[str, Any]:
    """An IAM policy document (JSON-able dict) for running these playbooks end to end."""
    statements: list[dict[str, Any]] = [
        _statement("NetmendRead", READ_PERMISSIONS),
        _statement("NetmendVerify", VERIFY_PERMISSIONS),
    ]
    fixes = fix_permissions(playbooks)
    if fixes:
        statements.append(_statement("NetmendFix", fixes))
    return {"Version": "2012-10-17", "Statement": statements}


def _statement(sid: str, permissions: Iterable[str]) -> dict[str, Any]:
    # EC2 security-group and ACL writes accept resource ARNs, but which groups a fix
    # touches is known only per run; scope with conditions (tags) where policy demands.
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(permissions), "Resource": "*"}
