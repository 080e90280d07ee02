"""Who uses a security group, read live just before netmend deletes it.

AWS refuses to delete a group an interface carries or a rule of the same VPC references
(DependencyViolation), but moto does not, a group referenced across a peering is deleted
anyway (its referencing rules go stale), and an error is no check. So netmend reads for
itself, at the last moment:

- every network interface carrying the group, of any type (DescribeNetworkInterfaces
  lists Lambda's, endpoints', load balancers', RDS's interfaces too);
- every group of the account and region whose rules reference it, inbound or outbound
  (DescribeSecurityGroups filtered on ``ip-permission.group-id`` and its egress twin);
- and, for a group nobody created in this run, the VPCs elsewhere that reference it
  (DescribeSecurityGroupReferences: peered VPCs, other accounts' included). A failure
  to read that is a refusal, not a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError
from botocore.parsers import ResponseParserError

from netmend.aws.created import interfaces_carrying
from netmend.aws.paging import iter_items, page_size_for
from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError

__all__ = ["group_users", "groups_referencing", "read_group_references"]


def groups_referencing(clients: AwsClients, group_id: str) -> tuple[str, ...]:
    """Ids of the other groups whose inbound or outbound rules name ``group_id``."""
    operation = "describe_security_groups"
    found: set[str] = set()
    for name in ("ip-permission.group-id", "egress.ip-permission.group-id"):
        items = iter_items(
            clients.call,
            clients.ec2,
            operation,
            "SecurityGroups",
            page_size=page_size_for(operation),
            Filters=[{"Name": name, "Values": [group_id]}],
        )
        found |= {str(g["GroupId"]) for g in items}
    found.discard(group_id)  # a self-reference goes with the group
    return tuple(sorted(found))


def read_group_references(
    clients: AwsClients, group_ids: Iterable[str]
) -> dict[str, list[dict[str, str]]]:
    """Group id -> the VPCs elsewhere referencing it ({vpc, peering}), for those that have any.

    DescribeSecurityGroupReferences takes a list of ids (not paginated); asked in
    batches. Raises NetmendError (AwsCallError) when it cannot be read, whatever the
    reason: the caller says so (the scan) or refuses (the delete).
    """
    ids = sorted(set(group_ids))
    found: dict[str, list[dict[str, str]]] = {}
    for start in range(0, len(ids), 100):
        batch = ids[start : start + 100]
        try:
            answer: Any = clients.call(
                clients.ec2.describe_security_group_references, GroupId=batch
            )
        except (
            BotoCoreError,
            ResponseParserError,
        ) as error:  # an answer that is no EC2 answer (an emulator's 500)
            raise AwsCallError(
                "DescribeSecurityGroupReferences", type(error).__name__, str(error)[:200]
            ) from error
        for reference in answer.get("SecurityGroupReferenceSet") or ():
            entry = {"vpc": str(reference.get("ReferencingVpcId") or "")}
            via = reference.get("VpcPeeringConnectionId") or reference.get("TransitGatewayId")
            if via:
                entry["peering"] = str(via)
            found.setdefault(str(reference["GroupId"]), []).append(entry)
    return found


def group_users(clients: AwsClients, group_id: str, *, other_vpcs: bool = True) -> list[str]:
    """One phrase per live user of the group (empty: nobody uses it, it may be deleted)."""
    users: list[str] = []
    carriers = interfaces_carrying(clients, group_id)
    if carriers:
        users.append(f"attached to {', '.join(carriers)}")
    referencing = groups_referencing(clients, group_id)
    if referencing:
        users.append(f"referenced by the rules of {', '.join(referencing)}")
    if other_vpcs:
        for reference in read_group_references(clients, [group_id]).get(group_id, ()):
            via = f" across {reference['peering']}" if reference.get("peering") else ""
            users.append(f"referenced from {reference['vpc'] or 'another VPC'}{via}")
    return users
