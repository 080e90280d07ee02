"""Small plans for approval tests."""

from __future__ import annotations

from netmend.model import SecurityGroup, SgRule
from netmend.run.plan import Change, ChangeKind, Plan

GROUP = SecurityGroup(group_id="sg-1", group_name="web", vpc_id="vpc-1")


def authorize(
    cidr: str = "10.0.0.0/16",
    port: int = 443,
    *,
    protocol: str = "tcp",
    kinds: tuple[ChangeKind, ...] = (ChangeKind.ADDITION,),
    group: SecurityGroup = GROUP,
    with_states: bool = True,
) -> Change:
    ipv6 = ":" in cidr
    rule = SgRule(
        group_id=group.group_id,
        egress=False,
        protocol=protocol,
        from_port=None if protocol == "-1" else port,
        to_port=None if protocol == "-1" else port,
        **({"cidr_ipv6": cidr} if ipv6 else {"cidr_ipv4": cidr}),
    )
    ranges = {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ipv6 else {"IpRanges": [{"CidrIp": cidr}]}
    perm = {"IpProtocol": protocol, **ranges}
    if protocol != "-1":
        perm |= {"FromPort": port, "ToPort": port}
    return Change(
        action="sg.authorize-ingress",
        api="AuthorizeSecurityGroupIngress",
        resource=group.group_id,
        params={"GroupId": group.group_id, "IpPermissions": [perm]},
        kinds=kinds,
        summary=f"allow {protocol} {port} from {cidr}",
        before=group if with_states else None,
        after=group.model_copy(update={"rules": (*group.rules, rule)}) if with_states else None,
    )


def revoke(group: SecurityGroup = GROUP) -> Change:
    return Change(
        action="sg.revoke-rule",
        api="RevokeSecurityGroupIngress",
        resource=group.group_id,
        params={"GroupId": group.group_id, "SecurityGroupRuleIds": ["sgr-1"]},
        kinds=(ChangeKind.REVOCATION,),
        summary="revoke sgr-1",
        before=group,
        after=group,
    )


def plan_of(*changes: Change) -> Plan:
    return Plan(
        run_id="20260101T000000Z-test",
        playbooks=("wrong-port",),
        changes=changes,
        change_id="CHG-42",
    )
