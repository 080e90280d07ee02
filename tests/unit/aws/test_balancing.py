"""ELBv2 through the real collector (Stubber, recorded shapes) and the evaluator's LB hop.

What moto does not produce: a group-less NLB with static node addresses and its real
ENIs, client IP preservation (preserve_client_ip.enabled), and AWS's health reasons.
The answers (elbv2_recorded.py, botocore-validated) go through read_load_balancing; the
estate around them is built with the evaluator tests' builders.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber
from structlog.testing import capture_logs
from tenacity import wait_none

from netmend.aws.balancing import read_load_balancing
from netmend.aws.retry import RetryPolicy
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.model import Inventory, LoadBalancer, NetworkInterface, TargetGroup
from netmend.playbook.iam import READ_PERMISSIONS
from netmend.reach import evaluate, make_flow
from netmend.reach.causes.classify import classify
from netmend.reach.target_health import target_health
from tests.unit.aws import elbv2_recorded as recorded
from tests.unit.reach.builders import Estate, egress, ingress


@pytest.fixture
def clients() -> AwsClients:
    policy = RetryPolicy(max_attempts=2, wait=wait_none(), sleep=lambda _: None)
    return make_clients(
        AwsOptions(region="eu-west-1", endpoint_url="http://127.0.0.1:9"), retry=policy
    )


@pytest.fixture
def stub(clients: AwsClients) -> Iterator[Stubber]:
    with Stubber(clients.elbv2) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _answer(stub: Stubber, *, preserve: bool, split_pages: bool = False) -> None:
    if split_pages:  # one empty page with a NextMarker first: Marker paging is followed
        stub.add_response(
            "describe_load_balancers",
            {"LoadBalancers": [], "NextMarker": "page-2"},
            {"PageSize": 400},
        )
        stub.add_response(
            "describe_load_balancers",
            {"LoadBalancers": [recorded.NETWORK_LOAD_BALANCER]},
            {"PageSize": 400, "Marker": "page-2"},
        )
    else:
        stub.add_response(
            "describe_load_balancers",
            {"LoadBalancers": [recorded.NETWORK_LOAD_BALANCER]},
            {"PageSize": 400},
        )
    stub.add_response(
        "describe_listeners",
        {"Listeners": [recorded.TCP_LISTENER]},
        {"PageSize": 400, "LoadBalancerArn": recorded.NLB_ARN},
    )
    stub.add_response(
        "describe_target_groups", {"TargetGroups": [recorded.TARGET_GROUP]}, {"PageSize": 400}
    )
    stub.add_response(
        "describe_target_health",
        recorded.TARGET_HEALTH_TIMEOUT,
        {"TargetGroupArn": recorded.TARGET_GROUP_ARN},
    )
    stub.add_response(
        "describe_target_group_attributes",
        recorded.preserve_client_ip(preserve),
        {"TargetGroupArn": recorded.TARGET_GROUP_ARN},
    )


def _estate(balancers: tuple[LoadBalancer, ...], groups: tuple[TargetGroup, ...]) -> Inventory:
    """Client 10.0.2.100; NLB nodes 10.0.10.25 / 10.0.11.25 (their ENIs, no groups, as AWS
    makes them); target i-app 10.0.1.50, whose group admits 8080 from the NLB's subnets."""
    estate = Estate()
    for subnet, cidr in (
        ("subnet-client", "10.0.2.0/24"),
        ("subnet-app", "10.0.1.0/24"),
        ("subnet-lb-a", "10.0.10.0/24"),
        ("subnet-lb-b", "10.0.11.0/24"),
    ):
        estate.subnet(subnet, cidr)
    estate.group("sg-client", egress())
    estate.group(
        "sg-app", ingress("tcp", 8080, "10.0.10.0/24"), ingress("tcp", 8080, "10.0.11.0/24")
    )
    estate.eni("eni-client", "subnet-client", "10.0.2.100", "sg-client", instance="i-client")
    estate.eni("eni-app", "subnet-app", "10.0.1.50", "sg-app", instance="i-app")
    for name, subnet, ip in (
        ("a", "subnet-lb-a", "10.0.10.25"),
        ("b", "subnet-lb-b", "10.0.11.25"),
    ):
        estate.enis.append(
            NetworkInterface(
                network_interface_id=f"eni-nlb-{name}",
                subnet_id=subnet,
                vpc_id="vpc-1",
                private_ips=(ip,),
                interface_type="network_load_balancer",
                description=recorded.NLB_ENI_DESCRIPTION,
                status="in-use",
            )
        )
    base = estate.build()
    fields = {name: getattr(base, name) for name in Inventory.model_fields}
    return Inventory(**(fields | {"load_balancers": balancers, "target_groups": groups}))


def test_collector_reads_a_groupless_nlb_with_its_health_and_attributes(
    clients: AwsClients, stub: Stubber
) -> None:
    """Marker paging, the node addresses, the forward target group, AWS's health reason and
    preserve_client_ip come through as the model carries them; no groups on the NLB; and
    every call made is one `netmend iam-policy` grants."""
    _answer(stub, preserve=True, split_pages=True)
    called: list[str] = []
    clients.elbv2.meta.events.register(
        "before-parameter-build.elastic-load-balancing-v2",
        lambda model, **_: called.append(f"elasticloadbalancing:{model.name}"),
    )
    balancers, groups = read_load_balancing(clients)
    assert len(called) == 6
    assert set(called) <= set(READ_PERMISSIONS)
    (nlb,) = balancers
    assert (nlb.name, nlb.type, nlb.security_group_ids) == ("api-nlb", "network", ())
    assert [z.private_ipv4_addresses for z in nlb.zones] == [("10.0.10.25",), ("10.0.11.25",)]
    (listener,) = nlb.listeners
    assert (listener.protocol, listener.port) == ("TCP", 443)
    assert listener.target_group_arns == (recorded.TARGET_GROUP_ARN,)
    (group,) = groups
    assert group.preserve_client_ip is True
    (target,) = group.targets
    assert (target.target_id, target.health.state, target.health.reason) == (
        "i-app",
        "unhealthy",
        "Target.Timeout",
    )
    assert group.health_port(target) == 8080


def test_access_denied_leaves_load_balancers_out(clients: AwsClients, stub: Stubber) -> None:
    """Credentials without elasticloadbalancing:Describe* still collect the rest."""
    stub.add_client_error("describe_load_balancers", "AccessDenied", "not allowed", 403)
    with capture_logs() as logs:
        assert read_load_balancing(clients) == ((), ())
    assert any("load balancers not read" in entry["event"] for entry in logs)


def test_client_ip_preservation_needs_the_client_admitted(
    clients: AwsClients, stub: Stubber
) -> None:
    """With preserve_client_ip on, the target sees 10.0.2.100, which sg-app does not admit:
    the traffic leg is blocked at sg-app, the health checks (from the nodes' own
    addresses) pass, the group-less nodes filter nothing, and the fix admits the client's
    own address on 8080 only."""
    _answer(stub, preserve=True)
    inventory = _estate(*read_load_balancing(clients))
    flow = make_flow(inventory, "i-client", "api-nlb:443")
    assert flow.destination.eni_id == "eni-nlb-a"  # the real node ENI, not a stand-in
    evaluation = evaluate(inventory, flow)
    assert not evaluation.reachable
    (blocked,) = evaluation.explanations
    assert (blocked.code, blocked.component) == ("ENI_SG_RULES_MISMATCH", "sg-app")
    assert blocked.segment == "target i-app tcp/8080"
    assert "from 10.0.2.100" in blocked.detail
    unfiltered = [h for h in evaluation.forward if "not filtered by security groups" in h.detail]
    assert unfiltered
    assert all(h.component.startswith("eni-nlb-") for h in unfiltered)
    by_address = evaluate(inventory, make_flow(inventory, "i-client", "10.0.10.25", port=443))
    assert by_address.explanations == evaluation.explanations  # a node's ENI is the NLB too
    (cause,) = classify(inventory, flow, evaluation)
    assert cause.playbook == "lb-target-blocked"
    assert cause.evidence["rules"] == [
        {
            "group": "sg-app",
            "direction": "ingress",
            "protocol": "tcp",
            "port": 8080,
            "peer": "10.0.2.100/32",
            "why": "traffic",
        }
    ]


def test_without_preservation_the_nlb_nodes_are_the_source(
    clients: AwsClients, stub: Stubber
) -> None:
    """preserve_client_ip off: the target sees the node's address, which sg-app admits."""
    _answer(stub, preserve=False)
    inventory = _estate(*read_load_balancing(clients))
    evaluation = evaluate(inventory, make_flow(inventory, "i-client", "api-nlb:443"))
    assert evaluation.reachable, evaluation.explanations
    assert evaluation.tracked is True  # an NLB always tracks


def test_timeout_with_an_open_path_points_at_the_host(clients: AwsClients, stub: Stubber) -> None:
    """AWS says Target.Timeout; both nodes' health checks on 8080 are admitted, so the
    verdict blames the host (an OS firewall or a process that does not answer)."""
    _answer(stub, preserve=True)
    inventory = _estate(*read_load_balancing(clients))
    report = target_health(inventory, "api-tg")
    (verdict,) = report.targets
    assert not verdict.network_blocks
    assert verdict.unhealthy
    assert len(verdict.check.health_checks) == 2
    assert "OS firewall" in verdict.verdict
    assert report.network_ok
    assert report.causes == ()


def test_unreachable_elbv2_endpoint_leaves_load_balancers_out(clients: AwsClients) -> None:
    """Nothing listens on 127.0.0.1:9: the ELBv2 part is left out with a warning (EC2,
    read first, decides whether the collection as a whole works)."""
    with capture_logs() as logs:
        assert read_load_balancing(clients) == ((), ())
    assert any("ELBv2 endpoint is unreachable" in entry["event"] for entry in logs)
