"""Intents files, verifier selection and intent checks, without a moto server.

Reachability Analyzer is reached through botocore's ``Stubber`` (moto has no Network
Insights); the estate is a small in-memory inventory: i-client (10.0.1.10, sg-client:
all out) and i-server (10.0.2.20, sg-server: tcp/443 and ICMP echo from the VPC).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from rich.console import Console
from tenacity import wait_none

from netmend.app.diagnosis import BLIND_SPOTS
from netmend.aws.reachability import VerificationTimeoutError, analyze_path
from netmend.aws.retry import RetryPolicy
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.errors import BadInputError
from netmend.model import (
    AclEntry,
    Instance,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)
from netmend.reach import Flow, make_flow
from netmend.render.intents import render_intent_report
from netmend.verify.flow import (
    FallbackVerifier,
    FlowVerdict,
    LocalVerifier,
    MethodVerifier,
    ReachabilityAnalyzerVerifier,
    is_aws_endpoint,
    resolve_method,
    select_verifier,
)
from netmend.verify.intents import (
    Intent,
    IntentsError,
    dump_intents,
    load_intents,
    load_intents_text,
    resolve_intents,
)
from netmend.verify.report import check_intents
from netmend.verify.run import LocalRunVerifier

AWS_ENDPOINT = "https://ec2.us-east-1.amazonaws.com"
MOTO_ENDPOINT = "http://127.0.0.1:5000"


def _rule(
    group: str, n: int, *, egress: bool, protocol: str, ports: tuple[int, int] | None, cidr: str
) -> SgRule:
    low, high = ports if ports else (None, None)
    return SgRule(
        group_id=group,
        egress=egress,
        protocol=protocol,
        from_port=low,
        to_port=high,
        rule_id=f"sgr-{group}-{n}",
        cidr_ipv4=cidr,
    )


def _open(number: int, egress: bool, action: str = "allow") -> AclEntry:
    return AclEntry(
        rule_number=number, egress=egress, protocol="-1", rule_action=action, cidr="0.0.0.0/0"
    )


def _inventory() -> Inventory:
    vpc = "vpc-1"
    enis = [
        NetworkInterface(
            network_interface_id="eni-client",
            subnet_id="subnet-a",
            vpc_id=vpc,
            private_ips=("10.0.1.10",),
            group_ids=("sg-client",),
            instance_id="i-client",
            attachment_status="attached",
        ),
        NetworkInterface(
            network_interface_id="eni-server",
            subnet_id="subnet-b",
            vpc_id=vpc,
            private_ips=("10.0.2.20",),
            group_ids=("sg-server",),
            instance_id="i-server",
            attachment_status="attached",
        ),
    ]
    return Inventory(
        region="us-east-1",
        vpcs=(Vpc(vpc_id=vpc, cidr_blocks=("10.0.0.0/16",)),),
        subnets=(
            Subnet(subnet_id="subnet-a", vpc_id=vpc, cidr_block="10.0.1.0/24"),
            Subnet(subnet_id="subnet-b", vpc_id=vpc, cidr_block="10.0.2.0/24"),
        ),
        route_tables=(
            RouteTable(
                route_table_id="rtb-main",
                vpc_id=vpc,
                is_main=True,
                routes=(
                    Route(
                        destination_cidr="10.0.0.0/16",
                        target_kind=RouteTargetKind.LOCAL,
                        target_id="local",
                    ),
                ),
            ),
        ),
        network_acls=(
            NetworkAcl(
                network_acl_id="acl-default",
                vpc_id=vpc,
                is_default=True,
                entries=(
                    _open(100, False),
                    _open(100, True),
                    _open(32767, False, "deny"),
                    _open(32767, True, "deny"),
                ),
            ),
        ),
        security_groups=(
            SecurityGroup(
                group_id="sg-client",
                group_name="client",
                vpc_id=vpc,
                rules=(
                    _rule("sg-client", 0, egress=True, protocol="-1", ports=None, cidr="0.0.0.0/0"),
                ),
            ),
            SecurityGroup(
                group_id="sg-server",
                group_name="server",
                vpc_id=vpc,
                rules=(
                    _rule(
                        "sg-server",
                        0,
                        egress=False,
                        protocol="tcp",
                        ports=(443, 443),
                        cidr="10.0.0.0/16",
                    ),
                    _rule(
                        "sg-server",
                        1,
                        egress=False,
                        protocol="icmp",
                        ports=(8, -1),
                        cidr="10.0.0.0/16",
                    ),
                    _rule("sg-server", 2, egress=True, protocol="-1", ports=None, cidr="0.0.0.0/0"),
                ),
            ),
        ),
        network_interfaces=tuple(enis),
        instances=tuple(
            Instance(
                instance_id=e.instance_id or "",
                vpc_id=vpc,
                subnet_id=e.subnet_id,
                private_ip=e.primary_ip,
                network_interface_ids=(e.network_interface_id,),
            )
            for e in enis
        ),
    )


@pytest.fixture
def inventory() -> Inventory:
    return _inventory()


def _clients(endpoint: str | None = None) -> AwsClients:
    policy = RetryPolicy(max_attempts=1, wait=wait_none(), sleep=lambda _: None)
    return make_clients(AwsOptions(region="us-east-1", endpoint_url=endpoint), retry=policy)


@pytest.fixture
def clients() -> AwsClients:
    """Clients for AWS's own endpoint; the stub fixture keeps any call off the network."""
    return _clients(AWS_ENDPOINT)


@pytest.fixture
def stub(clients: AwsClients) -> Iterator[Stubber]:
    with Stubber(clients.ec2) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _intent(
    name: str,
    port: int | None = 443,
    *,
    expect: str = "allowed",
    protocol: str = "tcp",
    **fields: Any,
) -> Intent:
    return Intent(
        name=name,
        source="i-client",
        destination="i-server",
        protocol=protocol,
        port=port,
        expect=expect,
        **fields,
    )  # type: ignore[arg-type]


def _tcp(inventory: Inventory, port: int = 443) -> Flow:
    return make_flow(inventory, "i-client", "i-server", protocol="tcp", port=port)


def _icmp(inventory: Inventory) -> Flow:
    return make_flow(inventory, "i-client", "i-server", protocol="icmp")


# -- the intents file --------------------------------------------------------------------

GOOD = """\
intents:
  - name: client reaches server over https
    source: i-client
    destination: i-server
    port: 443
    expect: allowed
  - name: no ssh
    source: i-client
    destination: 10.0.2.20
    protocol: tcp
    port: 22
    expect: denied
"""


def test_a_good_file_loads_with_defaults_and_lines(tmp_path: Path) -> None:
    """Protocol defaults to tcp; each intent remembers FILE:LINE for later messages."""
    path = tmp_path / "intents.yaml"
    path.write_text(GOOD)

    loaded = load_intents(path)

    first, second = loaded.intents
    assert (first.protocol, first.port, first.expect) == ("tcp", 443, "allowed")
    assert (first.where, second.where) == (f"{path}:2", f"{path}:7")
    assert loaded.path == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("expect: denied", "expect: blocked"),
            r":12: expect: expected allowed or denied",
        ),
        (GOOD.replace("port: 22", "port: 70000"), r":11: port: .*less than or equal to 65535"),
        (
            GOOD.replace("    port: 22\n", "    port: 22\n    colour: blue\n"),
            r":12: unknown key 'colour'",
        ),
        (GOOD.replace("    port: 443\n", ""), r":2: port is required for tcp"),
        (
            GOOD.replace("no ssh", "client reaches server over https"),
            r":7: intent name .* is already used at line 2",
        ),
        (GOOD.replace("protocol: tcp", "protocol: tcpx"), r":10: protocol: unknown protocol"),
        (GOOD.replace("port: 22", "port: '22'"), r":11: port: Input should be a valid integer"),
        ("intents:\n  - name: [oops\n", r":3: YAML syntax error"),
        ("intents: []\n", r":1: intents: the file declares no intents"),
        ("flows: []\n", r":1: unknown key 'flows'"),
        ("- a list\n", r":1: an intents file is a mapping"),
    ],
)
def test_a_bad_file_names_its_file_and_line(text: str, message: str) -> None:
    """Every load error is BadInputError (exit 2) starting FILE:LINE at the culprit."""
    with pytest.raises(IntentsError) as info:
        load_intents_text(text, "intents.yaml")
    assert isinstance(info.value, BadInputError)
    assert info.value.exit_code == 2
    assert re.search("^intents.yaml" + message, str(info.value), re.MULTILINE), str(info.value)


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    """A path that does not exist is an IntentsError naming it."""
    with pytest.raises(IntentsError, match="no such intents file"):
        load_intents(tmp_path / "absent.yaml")


def test_unknown_ids_are_all_reported_with_their_lines(inventory: Inventory) -> None:
    """Resolution names every intent whose ids the inventory lacks, with FILE:LINE."""
    text = GOOD.replace("source: i-client", "source: i-nothere")
    intents = load_intents_text(text, "intents.yaml")

    with pytest.raises(IntentsError) as info:
        resolve_intents(inventory, intents)
    assert info.value.problems == (
        "intents.yaml:2: intent 'client reaches server over https': "
        "unknown instance 'i-nothere' in us-east-1",
        "intents.yaml:7: intent 'no ssh': unknown instance 'i-nothere' in us-east-1",
    )


def test_dumped_intents_load_back_equal() -> None:
    """dump_intents writes a file load_intents_text reads back to the same intents."""
    intents = [
        _intent("a: quoted name"),
        _intent("ping", None, protocol="icmp", icmp_type=8, expect="denied"),
    ]
    loaded = load_intents_text(dump_intents(intents, header="generated"), "x.yaml")
    assert [i.model_dump() for i in loaded.intents] == [i.model_dump() for i in intents]
    assert loaded.intents[1].where == "x.yaml:9"  # the header comment is line 1


# -- choosing a verifier -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, True),
        ("https://ec2.eu-west-1.amazonaws.com", True),
        ("https://ec2.cn-north-1.amazonaws.com.cn", True),
        ("https://vpce-0abc.ec2.us-east-1.vpce.amazonaws.com", True),
        ("http://127.0.0.1:5000", False),
        ("https://amazonaws.com.evil.example", False),
        ("http://localhost:4566", False),
    ],
)
def test_aws_endpoints_are_recognised(url: str | None, expected: bool) -> None:
    """Only AWS's own domains count as a real AWS endpoint (auto uses RA there only)."""
    assert is_aws_endpoint(url) is expected


def test_auto_picks_reachability_analyzer_on_aws_for_tcp(
    clients: AwsClients, inventory: Inventory
) -> None:
    """On AWS's endpoint a TCP IPv4 flow goes to Reachability Analyzer under auto."""
    verifier = select_verifier("auto", clients, _tcp(inventory), local=LocalVerifier(inventory))
    assert isinstance(verifier, ReachabilityAnalyzerVerifier)


def test_auto_off_aws_checks_locally_and_says_why(inventory: Inventory) -> None:
    """Against moto (any non-AWS endpoint) auto checks locally, naming the endpoint."""
    clients = _clients(MOTO_ENDPOINT)
    verifier = select_verifier("auto", clients, _tcp(inventory), local=LocalVerifier(inventory))
    verdict = verifier.check(_tcp(inventory))
    assert verdict.method == "local"
    assert verdict.reachable is True
    assert verdict.fallback_reason is not None
    assert MOTO_ENDPOINT in verdict.fallback_reason


def test_icmp_asked_of_reachability_analyzer_falls_back_to_local(
    clients: AwsClients, stub: Stubber, inventory: Inventory
) -> None:
    """RA cannot analyse ICMP: the flow is evaluated locally with that reason, and no
    AWS call is made (nothing is queued on the stubber)."""
    verifier = MethodVerifier("reachability-analyzer", clients, local=LocalVerifier(inventory))
    verdict = verifier.check(_icmp(inventory))
    assert isinstance(
        select_verifier(
            "reachability-analyzer", clients, _icmp(inventory), local=LocalVerifier(inventory)
        ),
        FallbackVerifier,
    )
    assert verdict.method == "local"
    assert verdict.reachable is True
    assert verdict.fallback_reason == "Reachability Analyzer cannot analyse ICMP"


@pytest.mark.parametrize(
    ("method", "flow", "unavailable", "expected", "reason"),
    [
        ("local", "tcp", None, "local", None),
        ("auto", "tcp", None, "reachability-analyzer", None),
        ("auto", "tcp", "not here", "local", "not here"),
        ("auto", None, None, "reachability-analyzer", None),
        ("auto", None, "not here", "local", "not here"),
        ("auto", "icmp", None, "local", "Reachability Analyzer cannot analyse ICMP"),
        ("reachability-analyzer", "tcp", "not here", "reachability-analyzer", None),
        ("reachability-analyzer", None, "not here", "reachability-analyzer", None),
        (
            "reachability-analyzer",
            "icmp",
            None,
            "local",
            "Reachability Analyzer cannot analyse ICMP",
        ),
    ],
)
def test_resolve_method_is_the_one_table_of_auto(
    inventory: Inventory,
    method: str,
    flow: str | None,
    unavailable: str | None,
    expected: str,
    reason: str | None,
) -> None:
    """auto takes the analyzer only where it can answer, for a flow it can take; asked by
    name, the analyzer is used wherever it is (its own error says why it cannot)."""
    given = {"tcp": _tcp(inventory), "icmp": _icmp(inventory), None: None}[flow]
    choice = resolve_method(method, given, unavailable=unavailable)
    assert (choice.method, choice.fallback_reason) == (expected, reason)


def test_an_unknown_method_is_bad_input(clients: AwsClients, inventory: Inventory) -> None:
    """--method must be auto, local or reachability-analyzer."""
    with pytest.raises(BadInputError, match="unknown verification method 'magic'"):
        select_verifier("magic", clients, _tcp(inventory), local=LocalVerifier(inventory))


class TimingOut:
    """An analyzer whose analysis never finishes."""

    method = "reachability-analyzer"

    def check(self, flow: Flow) -> FlowVerdict:
        raise VerificationTimeoutError("nia-1", 120)


def test_auto_falls_back_to_local_when_the_analysis_times_out(
    clients: AwsClients, inventory: Inventory
) -> None:
    """Under auto a timed-out analysis gives the local verdict, saying what happened."""
    verifier = MethodVerifier("auto", clients, local=LocalVerifier(inventory), analyzer=TimingOut())
    verdict = verifier.check(_tcp(inventory, 22))
    assert (verdict.method, verdict.reachable) == ("local", False)
    assert verdict.fallback_reason is not None
    assert "still running after 120 s" in verdict.fallback_reason


def test_explicit_reachability_analyzer_lets_a_timeout_through(
    clients: AwsClients, inventory: Inventory
) -> None:
    """Asked for AWS's verdict explicitly, a timeout is an error, not a local answer."""
    verifier = MethodVerifier(
        "reachability-analyzer", clients, local=LocalVerifier(inventory), analyzer=TimingOut()
    )
    with pytest.raises(VerificationTimeoutError):
        verifier.check(_tcp(inventory))


# -- checking intents ----------------------------------------------------------------------


def test_local_intent_check_holds_and_violates(inventory: Inventory) -> None:
    """Against an inventory: https allowed holds; ssh expected allowed is violated at the
    server's group; ssh expected denied holds; the JSON carries DESIGN.md's keys."""
    intents = [
        _intent("https"),
        _intent("ssh should work", 22),
        _intent("ssh must not", 22, expect="denied"),
    ]

    report = check_intents(inventory, intents)

    assert [(r.name, r.held, r.reachable) for r in report.intents] == [
        ("https", True, True),
        ("ssh should work", False, False),
        ("ssh must not", True, False),
    ]
    assert report.violated == 1
    blocking = report.intents[1].blocking
    assert blocking is not None
    assert (blocking.code, blocking.component) == ("ENI_SG_RULES_MISMATCH", "sg-server")
    document = report.model_dump(mode="json")
    assert document["violated"] == 1
    assert {"name", "expect", "held", "explanations"} <= set(document["intents"][1])
    explanation = document["intents"][1]["explanations"][0]
    assert (explanation["code"], explanation["component"], explanation["direction"]) == (
        "ENI_SG_RULES_MISMATCH",
        "sg-server",
        "ingress",
    )


def test_the_run_verifier_checks_intents_as_netmend_verify_does(inventory: Inventory) -> None:
    """After a fix, the run's intents are checked by check_intents: the violated one is a
    problem (the held ones are not), and an id the estate lacks is a problem naming the
    intent, not a crash."""
    intents = [
        _intent("https"),
        _intent("ssh should work", 22),
        _intent("no ssh", 22, expect="denied"),
    ]
    report = check_intents(inventory, intents)
    problems = LocalRunVerifier._intent_problems(inventory, intents)
    assert [r.name for r in report.intents if not r.held] == ["ssh should work"]
    assert problems == ["intent 'ssh should work' expects allowed, is denied"]
    ghost = Intent(
        name="ghost", source="i-gone", destination="i-server", port=443, expect="allowed"
    )
    (problem,) = LocalRunVerifier._intent_problems(inventory, [ghost])
    assert "intent 'ghost'" in problem
    assert "i-gone" in problem
    assert LocalRunVerifier._intent_problems(inventory, []) == []


def test_the_report_shows_violations_blind_spots_and_probes(inventory: Inventory) -> None:
    """The rendered report marks the violation with its blocking group, suggests
    `nc -zv` for the allowed intent that holds, and says what no check can see."""
    report = check_intents(inventory, [_intent("https"), _intent("ssh should work", 22)])
    console = Console(width=200, record=True)
    console.print(render_intent_report(report))
    text = console.export_text()

    assert "VIOLATED" in text
    assert "sg-server ingress: ENI_SG_RULES_MISMATCH" in text
    assert "nc -zv 10.0.2.20 443" in text
    assert "nc -zv 10.0.2.20 22" not in text  # only for what the network allows
    assert " ".join(BLIND_SPOTS.split()[:6]) in " ".join(text.split())


def _analysis(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "NetworkInsightsAnalysisId": "nia-0123456789abcdef0",
        "NetworkInsightsPathId": "nip-0123456789abcdef0",
        "StartDate": datetime(2025, 5, 1, tzinfo=UTC),
        "Status": status,
        **fields,
    }


def _stub_analysis(stub: Stubber, result: dict[str, Any]) -> None:
    stub.add_response(
        "create_network_insights_path",
        {"NetworkInsightsPath": {"NetworkInsightsPathId": "nip-0123456789abcdef0"}},
        expected_params={
            "Source": "eni-client",
            "Destination": "eni-server",
            "Protocol": "tcp",
            "DestinationPort": 8443,
            "TagSpecifications": ANY,
            "ClientToken": ANY,
        },
    )
    stub.add_response(
        "start_network_insights_analysis", {"NetworkInsightsAnalysis": _analysis("running")}
    )
    stub.add_response("describe_network_insights_analyses", {"NetworkInsightsAnalyses": [result]})
    stub.add_response(
        "delete_network_insights_analysis", {"NetworkInsightsAnalysisId": "nia-0123456789abcdef0"}
    )
    stub.add_response(
        "delete_network_insights_path", {"NetworkInsightsPathId": "nip-0123456789abcdef0"}
    )


def test_intents_checked_by_reachability_analyzer_and_locally(
    clients: AwsClients, stub: Stubber, inventory: Inventory
) -> None:
    """With --method reachability-analyzer, the TCP intent takes AWS's verdict (here: a
    path the local evaluator would also block, explained by AWS) and the ICMP intent is
    checked locally, with the reason in the report."""
    _stub_analysis(
        stub,
        _analysis(
            "succeeded",
            NetworkPathFound=False,
            Explanations=[
                {
                    "ExplanationCode": "ENI_SG_RULES_MISMATCH",
                    "Direction": "ingress",
                    "SecurityGroups": [{"Id": "sg-server"}],
                    "NetworkInterface": {"Id": "eni-server"},
                }
            ],
        ),
    )
    analyzer = ReachabilityAnalyzerVerifier(
        clients, analyze=functools.partial(analyze_path, sleep=lambda _: None)
    )
    verifier = MethodVerifier(
        "reachability-analyzer", clients, local=LocalVerifier(inventory), analyzer=analyzer
    )

    report = check_intents(
        verifier, [_intent("api", 8443), _intent("ping", None, protocol="icmp", icmp_type=8)]
    )

    api, ping = report.intents
    assert (api.method, api.held, api.reachable) == ("reachability-analyzer", False, False)
    assert api.blocking is not None
    assert (api.blocking.component, api.blocking.direction) == ("sg-server", "ingress")
    assert (ping.method, ping.held) == ("local", True)
    assert ping.fallback_reason == "Reachability Analyzer cannot analyse ICMP"
    assert report.model_dump(mode="json")["intents"][1]["fallback_reason"] == (
        "Reachability Analyzer cannot analyse ICMP"
    )


def test_a_bad_id_stops_before_any_analysis(
    clients: AwsClients, stub: Stubber, inventory: Inventory
) -> None:
    """One unknown id fails the whole check (exit 2) before any paid analysis starts."""
    verifier = MethodVerifier("reachability-analyzer", clients, local=LocalVerifier(inventory))
    bad = Intent(name="ghost", source="i-client", destination="i-ghost", port=443, expect="allowed")
    with pytest.raises(IntentsError, match="intent 'ghost': unknown instance 'i-ghost'"):
        check_intents(verifier, [_intent("api"), bad])
