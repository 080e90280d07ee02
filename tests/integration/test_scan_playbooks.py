"""Each estate playbook on the moto server: an estate with its problem, one without.

Two accounts are built once for the module, with boto3 over HTTP
(tests/integration/scan_estates.py), and collected by the real collector: one holding
every problem (what each builder planted is the set of (playbook, resource) pairs the
scan must report), and a tidy one that must report nothing. Each playbook is then run
alone on both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from netmend.aws.collector import collect_inventory
from netmend.aws.session import AwsOptions, make_clients
from netmend.aws.signals import collect_signals
from netmend.model import Inventory
from netmend.playbook import load_playbooks
from netmend.scan import ScanReport, propose_finding_fix, scan_estate
from tests.conftest import TEST_REGION, MotoAws, reset_moto
from tests.integration import scan_estates as estates

pytestmark = pytest.mark.integration

PLAYBOOKS = load_playbooks()
ESTATE_PLAYBOOKS = sorted(p.id for p in PLAYBOOKS.by_scope("estate"))


@dataclass(frozen=True)
class Account:
    inventory: Inventory
    signals: dict[str, Any]
    notes: dict[str, str]
    expected: set[tuple[str, str]]

    def scan(self, only: list[str] | None = None) -> ScanReport:
        return scan_estate(
            self.inventory,
            PLAYBOOKS,
            only=only or ESTATE_PLAYBOOKS,
            signals=self.signals,
            signal_notes=self.notes,
        )


def _build(moto_server: str, *, problems: bool) -> Account:
    reset_moto(moto_server)
    session: Any = boto3.Session(region_name=TEST_REGION)
    ec2 = session.client("ec2", endpoint_url=moto_server)
    cloudwatch = session.client("cloudwatch", endpoint_url=moto_server)
    expected: set[tuple[str, str]] = set()
    if problems:
        for plant in estates.PLANTERS.values():
            expected |= plant(ec2)
    expected |= estates.plant_conntrack(ec2, cloudwatch, rising=problems)
    estates.plant_clean(ec2)
    estates.tidy_account(ec2, expected)
    clients = make_clients(AwsOptions(region=TEST_REGION, endpoint_url=moto_server))
    signals, notes = collect_signals(clients, ESTATE_PLAYBOOKS)
    return Account(collect_inventory(clients), signals, notes, expected)


@pytest.fixture(scope="module")
def accounts(moto_server: str) -> Iterator[dict[str, Account]]:
    built = {
        "problems": _build(moto_server, problems=True),
        "clean": _build(moto_server, problems=False),
    }
    reset_moto(moto_server)
    return built


def _pairs(report: ScanReport) -> set[tuple[str, str]]:
    return {(f.playbook, f.resource) for f in report.findings}


@pytest.mark.parametrize("playbook", ESTATE_PLAYBOOKS)
def test_playbook_reports_its_problem(accounts: dict[str, Account], playbook: str) -> None:
    """Alone, the playbook reports exactly what was planted for it, each with a summary
    and (but conntrack) a fix; on the tidy account it reports nothing."""
    problems = accounts["problems"]
    report = problems.scan([playbook])
    wanted = {pair for pair in problems.expected if pair[0] == playbook}
    assert wanted
    assert _pairs(report) == wanted
    assert all(f.summary for f in report.findings)
    assert all(f.fixable == (playbook != "conntrack-allowance-exceeded") for f in report.findings)
    assert accounts["clean"].scan([playbook]).findings == ()


def test_clean_estate_reports_nothing(accounts: dict[str, Account]) -> None:
    """A tidy estate, every playbook run, signals read: no finding at all."""
    report = accounts["clean"].scan()
    assert report.findings == ()
    assert report.playbooks == tuple(ESTATE_PLAYBOOKS)
    assert report.signals["conntrack_allowance_exceeded"] == "read for 1 instance(s)"


def test_every_problem_reported_exactly_once(accounts: dict[str, Account]) -> None:
    """All problems in one account, every playbook: each planted finding once, no other."""
    problems = accounts["problems"]
    counted = Counter((f.playbook, f.resource) for f in problems.scan().findings)
    assert set(counted) == problems.expected
    assert max(counted.values()) == 1
    assert {p for p, _ in problems.expected} == set(ESTATE_PLAYBOOKS)


def test_world_open_is_graded_by_reachability(accounts: dict[str, Account]) -> None:
    """SSH open to the world on a public instance behind an IGW is exposed (critical);
    a database port open the same way on a private instance is open in rules only."""
    report = accounts["problems"].scan(["world-open-sensitive-port"])
    by_name = {f.evidence["group"].split(" ")[1]: f for f in report.findings}
    exposed, private = by_name["(bastion)"], by_name["(db)"]
    assert exposed.exposure is not None
    assert exposed.exposure.grade == "exposed"
    assert exposed.severity == "critical"
    assert exposed.exposure.exposed_enis == exposed.enis
    assert private.exposure is not None
    assert private.exposure.grade == "open-in-rules-only"
    assert private.severity == "medium"
    assert private.exposure.exposed_enis == ()


def test_default_group_severity(accounts: dict[str, Account]) -> None:
    """The default group with an instance in it is high; in an empty VPC, low."""
    report = accounts["problems"].scan(["default-sg-in-use"])
    assert sorted(f.severity for f in report.findings) == ["high", "low"]
    low = next(f for f in report.findings if f.severity == "low")
    assert low.evidence["empty_vpc"] is True
    assert low.enis == ()


def test_conntrack_rise_is_counted(accounts: dict[str, Account]) -> None:
    """The metric rose from 100 to 142 within the hour: 42 packets dropped."""
    (finding,) = accounts["problems"].scan(["conntrack-allowance-exceeded"]).findings
    assert finding.evidence["dropped"] == 42


def test_conntrack_without_the_metric(aws: MotoAws) -> None:
    """No metric published: the check reports nothing and says the metric is missing."""
    clients = aws.clients()
    signals, notes = collect_signals(clients, ["conntrack-allowance-exceeded"])
    assert "conntrack_allowance_exceeded" not in signals
    assert "no such metric" in notes["conntrack_allowance_exceeded"]
    report = scan_estate(
        collect_inventory(clients),
        PLAYBOOKS,
        only=["conntrack-allowance-exceeded"],
        signals=signals,
        signal_notes=notes,
    )
    assert report.findings == ()


def test_vpc_filter_and_tag_acceptance(aws: MotoAws) -> None:
    """--vpc keeps one VPC's findings; a netmend:accept tag on the group silences its
    finding (still listed, marked) and keeps it out of --fail-on."""
    expected = estates.plant_unused_group(aws.ec2) | estates.plant_redundant_rule(aws.ec2)
    estates.tidy_account(aws.ec2)
    ((_, unused),) = [p for p in expected if p[0] == "unused-security-group"]
    aws.ec2.create_tags(
        Resources=[unused], Tags=[{"Key": "netmend:accept", "Value": "unused-security-group"}]
    )
    inventory = collect_inventory(aws.clients())
    group = inventory.security_group(unused)
    assert group is not None
    assert group.vpc_id is not None
    report = scan_estate(inventory, PLAYBOOKS, vpcs=[group.vpc_id], fail_on="low")
    assert _pairs(report) == {("unused-security-group", unused)}
    finding = report.findings[0]
    assert finding.accepted is not None
    assert finding.accepted.by == "tag"
    assert not report.failed
    everything = scan_estate(inventory, PLAYBOOKS, fail_on="low")
    assert _pairs(everything) == expected
    assert everything.failed


def test_ssm_interface_endpoints_are_where_the_agent_goes(aws: MotoAws) -> None:
    """Two private instances allowed out on 443 to 10.0.0.0/8 only: in the VPC with the
    ssm, ssmmessages and ec2messages interface endpoints (their group admitting 443) the
    agent reaches them; in the VPC without, the public endpoints are blocked.

    moto gives an interface endpoint's ENI an address outside its subnet (10.57.x.x),
    which 10.0.0.0/8 covers as it would AWS's address in the subnet, and leaves the ENI
    in the default group whatever SecurityGroupIds says: the test puts the endpoint's
    group on it, as AWS does.
    """
    reported = []
    for octet, endpoints in ((50, True), (51, False)):
        net = estates.new_net(aws.ec2, octet)
        app = estates.group(net, f"private-app-{octet}", keep_egress=False)
        aws.ec2.authorize_security_group_egress(
            GroupId=app,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                }
            ],
        )
        instance, _ = estates.launch(net, app)
        if endpoints:
            entry = estates.group(net, "ssm-endpoints")
            estates.allow_in(net, entry, 443, "10.0.0.0/8")
            for service in ("ssm", "ssmmessages", "ec2messages"):
                created = aws.ec2.create_vpc_endpoint(
                    VpcId=net.vpc,
                    VpcEndpointType="Interface",
                    ServiceName=f"com.amazonaws.{aws.region}.{service}",
                    SubnetIds=[net.subnet],
                    SecurityGroupIds=[entry],
                )["VpcEndpoint"]
                for eni in created["NetworkInterfaceIds"]:
                    aws.ec2.modify_network_interface_attribute(
                        NetworkInterfaceId=eni, Groups=[entry]
                    )
        else:
            reported.append(instance)
    estates.tidy_account(aws.ec2)
    clients = aws.clients()
    signals, _notes = collect_signals(clients, ["ssm-egress-blocked"])
    assert len(signals["vpc_endpoints"]) == 1
    report = scan_estate(
        collect_inventory(clients), PLAYBOOKS, only=["ssm-egress-blocked"], signals=signals
    )
    assert [f.resource for f in report.findings] == reported
    assert report.findings[0].evidence["via"] == "public endpoints"


def test_untracked_fix_removes_only_rules_open_on_every_port(
    accounts: dict[str, Account],
) -> None:
    """The interface open to the world on every port gets that rule revoked; those
    untracked through a service's own world rule (SSH, PostgreSQL) get no change."""
    problems = accounts["problems"]
    plans = {
        f.resource: propose_finding_fix(
            problems.inventory, PLAYBOOKS, "untracked-flow", f.resource, run_id="test-run"
        ).plan
        for f in problems.scan(["untracked-flow"]).findings
    }
    changed = {eni: plan for eni, plan in plans.items() if not plan.empty}
    assert len(plans) == 3
    assert len(changed) == 1
    ((change,),) = [plan.changes for plan in changed.values()]
    assert change.api == "RevokeSecurityGroupIngress"
    assert change.before is not None
    (revoked,) = [
        r for r in change.before.rules if r.rule_id == change.params["SecurityGroupRuleIds"][0]
    ]
    assert revoked.protocol == "-1"
    assert revoked.cidr_ipv4 == "0.0.0.0/0"


def test_every_finding_proposes_its_fix(accounts: dict[str, Account]) -> None:
    """Each planted finding's fix renders and validates through the playbook engine; the
    ones with a rule to change propose at least one change (a quota near its limit
    without redundant rules, a service's untracked rule and conntrack propose none), and
    the estate as the plan leaves it no longer has the finding (an unused group is
    deleted), but for a default group an instance is still in (emptied, it is still in
    use): the plan says so."""
    problems = accounts["problems"]
    attached = {f.resource for f in problems.scan(["default-sg-in-use"]).findings if f.enis}
    without = {"conntrack-allowance-exceeded", "rule-quota-near-limit", "untracked-flow"}
    for playbook, resource in sorted(problems.expected):
        proposed = propose_finding_fix(
            problems.inventory,
            PLAYBOOKS,
            playbook,
            resource,
            signals=problems.signals,
            run_id="test-run",
        )
        if playbook not in without:
            assert proposed.plan.changes, (playbook, resource, proposed.plan.notes)
            still = any("still finds" in n for n in proposed.plan.notes)
            stays = resource in attached
            assert still == stays, proposed.plan.notes
