"""Reads about the groups a run created: which ones carry its tag, which interfaces carry one.

A rollback deletes a group its run created only once no interface carries it: AWS
refuses to delete an attached group (moto does not), so netmend checks for itself.
"""

from __future__ import annotations

from netmend.aws.paging import iter_items, page_size_for
from netmend.aws.session import AwsClients
from netmend.model.created import RUN_ID_TAG

__all__ = ["groups_tagged", "groups_tagged_for_run", "interfaces_carrying"]


def groups_tagged(clients: AwsClients, key: str, value: str) -> tuple[str, ...]:
    """Ids of the security groups tagged ``key=value``."""
    operation = "describe_security_groups"
    items = iter_items(
        clients.call,
        clients.ec2,
        operation,
        "SecurityGroups",
        page_size=page_size_for(operation),
        Filters=[{"Name": f"tag:{key}", "Values": [value]}],
    )
    return tuple(sorted(str(g["GroupId"]) for g in items))


def groups_tagged_for_run(clients: AwsClients, run_id: str) -> tuple[str, ...]:
    """Ids of the security groups tagged ``netmend:run-id=<run_id>`` (what it created)."""
    return groups_tagged(clients, RUN_ID_TAG, run_id)


def interfaces_carrying(clients: AwsClients, group_id: str) -> tuple[str, ...]:
    """Ids of the network interfaces that carry ``group_id`` now."""
    operation = "describe_network_interfaces"
    items = iter_items(
        clients.call,
        clients.ec2,
        operation,
        "NetworkInterfaces",
        page_size=page_size_for(operation),
        Filters=[{"Name": "group-id", "Values": [group_id]}],
    )
    return tuple(sorted(str(e["NetworkInterfaceId"]) for e in items))
