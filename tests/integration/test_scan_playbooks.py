"""Each estate playbook on the moto server: an estate with its problem, one without.

The estates are built with boto3 over HTTP (tests/integration/scan_estates.py), collected
by the real collector, and scanned by ``netmend.scan``; what each scan must report is the
set of (playbook, resource) pairs the builder planted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest

from netmend.aws.collector import collect_inventory
from netmend.aws.signals import collect_signals
from netmend.playbook import load_playbooks
from netmend.scan import ScanReport, scan_estate
from tests.conftest import MotoAws
from tests.integration import scan_estates as estates

pytestmark = pytest.mark.integration

ESTATE_PLAYBOOKS = sorted(p.id for p in load_playbooks().by_scope("estate"))


def _cloudwatch(aws: MotoAws) -> Any:
    return boto3.Session(region_name=aws.region).client("cloudwatch", endpoint_url=aws.endpoint_url)


def _scan(aws: MotoAws, only: list[str] | None = None) -> ScanReport:
    clients = aws.clients()
    playbooks = load_playbooks()
    chosen = only or ESTATE_PLAYBOOKS
    signals, notes = collect_signals(clients, chosen)
    return scan_estate(
        collect_inventory(clients), playbooks, only=chosen, signals=signals, signal_notes=notes
    )


def _pairs(report: ScanReport) -> set[tuple[str, str]]:
    return {(f.playbook, f.resource) for f in report.findings}


@pytest.mark.parametrize("playbook", sorted(estates.PLANTERS))
def test_playbook_reports_its_problem(aws: MotoAws, playbook: str) -> None:
    """The playbook alone reports exactly what its builder planted, and nothing else."""
    expected = estates.PLANTERS[playbook](aws.ec2)
    estates.tidy_account(aws.ec2, expected)
    report = _scan(aws, [playbook])
    assert _pairs(report) == {pair for pair in expected if pair[0] == playbook}
    assert all(f.summary and f.fixable for f in report.findings)


def test_clean_estate_reports_nothing(aws: MotoAws) -> None:
    """A tidy estate (every playbook, signals read): no finding at all."""
    estates.plant_clean(aws.ec2)
    estates.plant_conntrack(aws.ec2, _cloudwatch(aws), rising=False)
    estates.tidy_account(aws.ec2)
    report = _scan(aws)
    assert report.findings == ()
    assert report.playbooks == tuple(ESTATE_PLAYBOOKS)
    assert report.signals["conntrack_allowance_exceeded"] == "read for 1 instance(s)"


def test_every_problem_reported_exactly_once(aws: MotoAws) -> None:
    """All problems in one account: each planted finding once, nothing unplanted."""
    expected: set[tuple[str, str]] = set()
    for plant in estates.PLANTERS.values():
        expected |= plant(aws.ec2)
    expected |= estates.plant_conntrack(aws.ec2, _cloudwatch(aws))
    estates.plant_clean(aws.ec2)
    estates.tidy_account(aws.ec2, expected)
    report = _scan(aws)
    counted = Counter((f.playbook, f.resource) for f in report.findings)
    assert set(counted) == expected
    assert max(counted.values()) == 1
    assert {p for p, _ in expected} == set(ESTATE_PLAYBOOKS)


def test_world_open_is_graded_by_reachability(aws: MotoAws) -> None:
    """SSH open to the world on a public instance behind an IGW is exposed (critical);
    the same kind of rule on a private instance is open in rules only (medium)."""
    planted = estates.plant_world_open(aws.ec2)
    estates.tidy_account(aws.ec2)
    report = _scan(aws, ["world-open-sensitive-port"])
    grades = {f.evidence["group"].split(" ")[1]: f for f in report.findings}
    exposed, private = grades["(bastion)"], grades["(db)"]
    assert exposed.exposure is not None and exposed.exposure.grade == "exposed"
    assert exposed.severity == "critical"
    assert exposed.exposure.exposed_enis == exposed.enis
    assert private.exposure is not None and private.exposure.grade == "open-in-rules-only"
    assert private.severity == "medium"
    assert {(f.playbook, f.resource) for f in report.findings} <= planted


def test_default_group_in_an_empty_vpc_is_low(aws: MotoAws) -> None:
    """AWS's default rules in a VPC without interfaces: reported, as low severity."""
    net = estates.new_net(aws.ec2, 40)
    estates.tidy_account(aws.ec2, {("default-sg-in-use", estates.default_group(aws.ec2, net.vpc))})
    report = _scan(aws, ["default-sg-in-use"])
    assert [(f.resource, f.severity) for f in report.findings] == [
        (estates.default_group(aws.ec2, net.vpc), "low")
    ]


def test_conntrack_needs_the_metric(aws: MotoAws) -> None:
    """No metric published: the check reports nothing and says the metric is missing;
    a rising one reports the instance with how many packets were dropped."""
    estates.tidy_account(aws.ec2)
    quiet = _scan(aws, ["conntrack-allowance-exceeded"])
    assert quiet.findings == ()
    assert "no such metric" in quiet.signals["conntrack_allowance_exceeded"]
    planted = estates.plant_conntrack(aws.ec2, _cloudwatch(aws))
    estates.tidy_account(aws.ec2)
    report = _scan(aws, ["conntrack-allowance-exceeded"])
    assert _pairs(report) == planted
    assert report.findings[0].evidence["dropped"] == 42


def test_vpc_filter_and_tag_acceptance(aws: MotoAws) -> None:
    """--vpc keeps one VPC's findings; a netmend:accept tag on the group silences its
    finding (still listed, marked) and keeps it out of --fail-on."""
    expected = estates.plant_unused_group(aws.ec2) | estates.plant_redundant_rule(aws.ec2)
    estates.tidy_account(aws.ec2)
    (_, unused), = [p for p in expected if p[0] == "unused-security-group"]
    aws.ec2.create_tags(Resources=[unused], Tags=[{"Key": "netmend:accept", "Value": "unused-security-group"}])
    clients = aws.clients()
    inventory = collect_inventory(clients)
    vpc = inventory.security_group(unused).vpc_id  # type: ignore[union-attr]
    report = scan_estate(inventory, load_playbooks(), vpcs=[vpc], fail_on="low")
    assert _pairs(report) == {("unused-security-group", unused)}
    finding = report.findings[0]
    assert finding.accepted is not None and finding.accepted.by == "tag"
    assert not report.failed
    everything = scan_estate(inventory, load_playbooks(), fail_on="low")
    assert _pairs(everything) == expected and everything.failed
