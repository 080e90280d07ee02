"""Paginated reads against AWS-like paging (botocore's Stubber: moto ignores MaxResults
for most describe calls): one call per page, page sizes at each API's maximum, a
throttled page retried alone, ids that no longer exist left out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from tenacity import wait_none

from netmend.aws.collector import collect_security_groups
from netmend.aws.paging import page_size_for
from netmend.aws.readers import read_prefix_lists, read_route_tables, read_security_groups
from netmend.aws.retry import RetryPolicy
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.errors import AwsCallError


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def clients(sleeps: list[float]) -> AwsClients:
    policy = RetryPolicy(max_attempts=3, wait=wait_none(), sleep=sleeps.append)
    return make_clients(AwsOptions(region="eu-west-1"), retry=policy)


@pytest.fixture
def stub(clients: AwsClients) -> Iterator[Stubber]:
    with Stubber(clients.ec2) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _group(n: int) -> dict[str, Any]:
    return {
        "GroupId": f"sg-{n:017x}",
        "GroupName": f"g{n}",
        "VpcId": "vpc-1",
        "Description": "group",
        "OwnerId": "111122223333",
    }


def _rule(n: int) -> dict[str, Any]:
    return {
        "SecurityGroupRuleId": f"sgr-{n:017x}",
        "GroupId": f"sg-{n:017x}",
        "IsEgress": False,
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "CidrIpv4": f"10.{n}.0.0/16",
    }


def _page(items: list[dict[str, Any]], key: str, token: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {key: items}
    if token:
        page["NextToken"] = token
    return page


def _params(size: int, token: str | None, **more: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"MaxResults": size, **more}
    if token:
        params["NextToken"] = token
    return params


def _stub_pages(
    stub: Stubber, method: str, key: str, items: list[dict[str, Any]], size: int, **more: Any
) -> int:
    """Queue AWS's pages of ``items`` at ``size`` per page; returns the number of pages."""
    pages = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    for number, chunk in enumerate(pages):
        token_in = f"t{number}" if number else None
        token_out = f"t{number + 1}" if number + 1 < len(pages) else None
        stub.add_response(
            method, _page(chunk, key, token_out), expected_params=_params(size, token_in, **more)
        )
    return len(pages)


def test_twelve_groups_in_pages_of_five_take_three_calls(
    clients: AwsClients, stub: Stubber
) -> None:
    """12 groups at page size 5 cost ceil(12/5) = 3 DescribeSecurityGroups calls, each
    with MaxResults=5 and the previous NextToken; their rules are paged the same way and
    end up on their groups. Any extra call would find no stubbed answer and fail."""
    groups = [_group(n) for n in range(12)]
    rules = [_rule(n) for n in range(12)]
    calls = _stub_pages(stub, "describe_security_groups", "SecurityGroups", groups, 5)
    _stub_pages(stub, "describe_security_group_rules", "SecurityGroupRules", rules, 5)

    found = read_security_groups(clients, page_size=5)

    assert calls == 3
    assert [g.group_id for g in found] == [g["GroupId"] for g in groups]
    assert all(len(g.rules) == 1 for g in found)
    assert [g.rules[0].cidr_ipv4 for g in found] == [f"10.{n}.0.0/16" for n in range(12)]


def test_pages_are_as_large_as_each_api_allows(clients: AwsClients, stub: Stubber) -> None:
    """Without a page size each API gets its maximum: 1000 for most, 100 for
    DescribeRouteTables and the prefix-list calls."""
    stub.add_response(
        "describe_route_tables", {"RouteTables": []}, expected_params={"MaxResults": 100}
    )
    stub.add_response(
        "describe_security_groups",
        {"SecurityGroups": [_group(1)]},
        expected_params={"MaxResults": 1000},
    )
    stub.add_response(
        "describe_security_group_rules",
        {"SecurityGroupRules": []},
        expected_params={"MaxResults": 1000},
    )
    stub.add_response(
        "describe_managed_prefix_lists",
        {
            "PrefixLists": [
                {
                    "PrefixListId": "pl-1",
                    "PrefixListName": "office",
                    "AddressFamily": "IPv4",
                    "MaxEntries": 10,
                    "OwnerId": "111122223333",
                }
            ]
        },
        expected_params={"MaxResults": 100},
    )
    stub.add_response(
        "get_managed_prefix_list_entries",
        {"Entries": [{"Cidr": "192.168.0.0/24", "Description": "lan"}]},
        expected_params={"MaxResults": 100, "PrefixListId": "pl-1"},
    )

    assert read_route_tables(clients) == ()
    assert [g.group_id for g in read_security_groups(clients)] == [_group(1)["GroupId"]]
    lists = read_prefix_lists(clients)
    assert [(p.prefix_list_id, [e.cidr for e in p.entries]) for p in lists] == [
        ("pl-1", ["192.168.0.0/24"])
    ]


def test_aws_managed_prefix_lists_read_only_when_referenced(
    clients: AwsClients, stub: Stubber
) -> None:
    """AWS-managed lists cost a GetManagedPrefixListEntries call each, so only those the
    estate references are read."""
    aws_lists = [
        {
            "PrefixListId": f"pl-aws{n}",
            "PrefixListName": f"com.amazonaws.x{n}",
            "AddressFamily": "IPv4",
            "OwnerId": "AWS",
        }
        for n in range(3)
    ]
    stub.add_response(
        "describe_managed_prefix_lists",
        {"PrefixLists": aws_lists},
        expected_params={"MaxResults": 100},
    )
    stub.add_response(
        "get_managed_prefix_list_entries",
        {"Entries": [{"Cidr": "52.0.0.0/8"}]},
        expected_params={"MaxResults": 100, "PrefixListId": "pl-aws1"},
    )

    lists = read_prefix_lists(clients, include_aws_managed={"pl-aws1"})

    assert [(p.prefix_list_id, p.is_aws_managed) for p in lists] == [("pl-aws1", True)]


def test_a_throttled_page_is_retried_alone(
    clients: AwsClients, stub: Stubber, sleeps: list[float]
) -> None:
    """A page that is throttled is asked for again with the same NextToken; no item is
    lost or read twice."""
    groups = [_group(n) for n in range(12)]
    stub.add_response(
        "describe_security_groups",
        _page(groups[:5], "SecurityGroups", "t1"),
        expected_params=_params(5, None),
    )
    stub.add_client_error(
        "describe_security_groups",
        "RequestLimitExceeded",
        "slow",
        503,
        expected_params=_params(5, "t1"),
    )
    stub.add_response(
        "describe_security_groups",
        _page(groups[5:10], "SecurityGroups", "t2"),
        expected_params=_params(5, "t1"),
    )
    stub.add_response(
        "describe_security_groups",
        _page(groups[10:], "SecurityGroups", None),
        expected_params=_params(5, "t2"),
    )
    stub.add_response(
        "describe_security_group_rules",
        {"SecurityGroupRules": []},
        expected_params=_params(5, None),
    )

    found = read_security_groups(clients, page_size=5)

    assert [g.group_id for g in found] == [g["GroupId"] for g in groups]
    assert len(sleeps) == 1


def test_a_repeated_token_stops_paging(clients: AwsClients, stub: Stubber) -> None:
    """A service handing back the token it was given would loop forever: it is an error."""
    stub.add_response(
        "describe_route_tables",
        {"RouteTables": [], "NextToken": "same"},
        expected_params=_params(100, None),
    )
    stub.add_response(
        "describe_route_tables",
        {"RouteTables": [], "NextToken": "same"},
        expected_params=_params(100, "same"),
    )

    with pytest.raises(AwsCallError, match="NextToken"):
        read_route_tables(clients)


def test_reading_by_id_leaves_out_what_no_longer_exists(clients: AwsClients, stub: Stubber) -> None:
    """AWS rejects a whole by-id call for one unknown id; the ids are then read one by
    one and the missing one is simply absent. By-id reads send no MaxResults."""
    present, gone = _group(1), _group(2)
    ids = sorted([present["GroupId"], gone["GroupId"]])
    stub.add_client_error(
        "describe_security_groups",
        "InvalidGroup.NotFound",
        f"The security group '{gone['GroupId']}' does not exist",
        400,
        expected_params={"GroupIds": ids},
    )
    stub.add_response(
        "describe_security_groups",
        {"SecurityGroups": [present]},
        expected_params={"GroupIds": [present["GroupId"]]},
    )
    stub.add_client_error(
        "describe_security_groups",
        "InvalidGroup.NotFound",
        "gone",
        400,
        expected_params={"GroupIds": [gone["GroupId"]]},
    )
    stub.add_response(
        "describe_security_group_rules",
        {"SecurityGroupRules": [_rule(1)]},
        expected_params={
            "MaxResults": 1000,
            "Filters": [{"Name": "group-id", "Values": [present["GroupId"]]}],
        },
    )

    found = collect_security_groups(clients, ids)

    assert [g.group_id for g in found] == [present["GroupId"]]
    assert [r.rule_id for r in found[0].rules] == [_rule(1)["SecurityGroupRuleId"]]


@pytest.mark.parametrize(
    ("operation", "cap", "expected"),
    [
        ("describe_vpcs", None, 1000),
        ("describe_route_tables", None, 100),
        ("describe_managed_prefix_lists", None, 100),
        ("describe_route_tables", 500, 100),
        ("describe_vpcs", 2, 5),
        ("get_managed_prefix_list_entries", 2, 2),
        ("describe_security_groups", 37, 37),
    ],
)
def test_page_size_for(operation: str, cap: int | None, expected: int) -> None:
    """The page size is the API's maximum, or the cap clamped into the API's bounds."""
    assert page_size_for(operation, cap) == expected


# Every paged EC2 operation a collection makes (readers.py, gateways.py, created.py).
_PAGED = (
    "describe_vpcs",
    "describe_subnets",
    "describe_route_tables",
    "describe_network_acls",
    "describe_security_groups",
    "describe_security_group_rules",
    "describe_network_interfaces",
    "describe_instances",
    "describe_managed_prefix_lists",
    "get_managed_prefix_list_entries",
    "describe_internet_gateways",
    "describe_nat_gateways",
    "describe_vpc_peering_connections",
    "describe_transit_gateway_vpc_attachments",
    "describe_egress_only_internet_gateways",
    "describe_transit_gateways",
    "describe_vpc_endpoints",
    "describe_transit_gateway_route_tables",
    "describe_transit_gateway_attachments",
    "search_transit_gateway_routes",
)


@pytest.mark.parametrize("operation", _PAGED)
def test_page_size_is_the_largest_botocore_models(clients: AwsClients, operation: str) -> None:
    """The page asked for is the MaxResults maximum in botocore's EC2 model (fewest
    calls; AWS rejects a larger one), and 1000 where the model gives no bound
    (DescribeInstances and DescribeVpcEndpoints: AWS documents 1000)."""
    model = clients.ec2.meta.service_model
    name = clients.ec2.meta.method_to_api_mapping[operation]
    shape = model.operation_model(name).input_shape.members["MaxResults"]
    assert page_size_for(operation) == shape.metadata.get("max", 1000)
    assert page_size_for(operation, 1) == shape.metadata.get("min", 5)
