"""``netmend diagnose`` on estates shaped like real accounts (issue 9), end to end.

The real collector builds each inventory from a recorded-shape fixture
(tests/fixtures/aws/), ``inventory save``'s format stores it, and the real CLI answers
from the file (``--inventory``, no AWS call): what a person or a pipeline sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netmend.inventory_file import save_inventory
from tests.cli_runner import run_cli
from tests.unit.aws.replay import replay_inventory


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("real")
    return {
        name: save_inventory(replay_inventory(name)[0], folder / f"{name}.json")
        for name in ("service_interfaces", "ipv6_only", "transit_links")
    }


def diagnose(path: Path, src: str, dst: str, *args: str) -> tuple[int, dict[str, Any]]:
    done = run_cli(
        "diagnose",
        "--source",
        src,
        "--destination",
        dst,
        *args,
        "--inventory",
        str(path),
        "--output",
        "json",
        "--endpoint-url",
        "http://127.0.0.1:9",
    )
    assert done.stdout, done.stderr
    return done.exit_code, done.json()


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["code"] for e in answer["explanations"]]


@pytest.mark.parametrize(
    ("src", "dst", "args", "exit_code", "expected", "said"),
    [
        # 2. interfaces without groups; groups missing from the inventory
        (
            "eni-0web000000000001",
            "eni-0nlb000000000001",
            ("--port", "80"),
            0,
            [],
            "not filtered by security groups",
        ),
        (
            "eni-0web000000000001",
            "eni-0legacy0000000001",
            ("--port", "443"),
            3,
            ["UNKNOWN_RESOURCE"],
            "sg-0deleted00000001",
        ),
        # 3. addresses
        (
            "eni-0web000000000001",
            "10.0.0.77",
            ("--port", "443"),
            3,
            ["NO_POSSIBLE_DESTINATION"],
            "",
        ),
        ("eni-0web000000000001", "10.0.1.70", ("--port", "9090"), 3, ["ENI_SG_RULES_MISMATCH"], ""),
        (
            "10.0.0.11",
            "8.8.8.8",
            ("--port", "443"),
            3,
            ["IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS"],
            "",
        ),
        ("8.8.8.8", "203.0.113.12", ("--port", "443"), 0, [], ""),
        ("8.8.8.8", "203.0.113.25", ("--port", "443"), 0, [], ""),
        ("8.8.8.8", "198.51.100.7", ("--port", "443"), 3, ["NO_POSSIBLE_DESTINATION"], ""),
        (
            "eni-0pods00000000001",
            "203.0.113.12",
            ("--port", "443"),
            0,
            [],
            "sees the flow from 198.51.100.7",
        ),
        # 4. gateways and routes
        ("eni-0pods00000000001", "8.8.8.8", ("--protocol", "47"), 3, ["PROTOCOL_RESTRICTION"], ""),
        (
            "eni-0appb00000000001",
            "8.8.8.8",
            ("--port", "443"),
            3,
            ["NO_ROUTE_TO_DESTINATION"],
            "private NAT gateway",
        ),
        (
            "eni-0pods00000000001",
            "10.99.1.1",
            ("--port", "443"),
            3,
            ["ENI_SOURCE_DEST_CHECK_RESTRICTION"],
            "",
        ),
        (
            "eni-0appb00000000001",
            "172.16.0.10",
            ("--port", "443"),
            3,
            ["TGW_ROUTE_AZ_RESTRICTION"],
            "",
        ),
        (
            "eni-0pods00000000001",
            "192.168.2.10",
            ("--port", "443"),
            3,
            ["NO_ROUTE_TO_DESTINATION"],
            "",
        ),
        ("eni-0pods00000000001", "100.64.0.10", ("--port", "443"), 0, [], ""),
        # 5. ICMP: the default ping is 8/0, which sg-web's 8/0 rule admits
        ("eni-0pods00000000001", "eni-0web000000000001", ("--protocol", "icmp"), 0, [], ""),
    ],
)
def test_diagnose_on_the_service_interfaces_estate(
    saved: dict[str, Path],
    src: str,
    dst: str,
    args: tuple[str, ...],
    exit_code: int,
    expected: list[str],
    said: str,
) -> None:
    """Each documented behaviour, as `diagnose --output json` reports it."""
    code, answer = diagnose(saved["service_interfaces"], src, dst, *args)
    assert (code, answer["reachable"], codes(answer)) == (exit_code, not expected, expected)
    text = " ".join(answer["notes"]) + " ".join(e.get("detail", "") for e in answer["explanations"])
    text += " ".join(h.get("detail", "") for h in answer.get("path", {}).get("forward", []))
    assert said in text or said in str(answer)
    for cause in answer["root_causes"]:
        assert not cause["resource"].startswith("eni-")  # never an ENI named as a group


def test_diagnose_on_the_ipv6_only_estate(saved: dict[str, Path]) -> None:
    """Out through the egress-only gateway; nothing in; the skipped ENI item is named."""
    path = saved["ipv6_only"]
    code, answer = diagnose(path, "eni-0ipv6only00000001", "2001:db8::1", "--port", "443")
    assert (code, answer["reachable"]) == (0, True)
    assert any("eni-0nosubnet00000001" in n and "SubnetId" in n for n in answer["notes"])
    code, answer = diagnose(path, "2001:db8::1", "eni-0ipv6only00000001", "--port", "443")
    assert (code, codes(answer)) == (3, ["NO_PATH"])


APP, DB, API, ISO = (
    "eni-0app000000000001",
    "eni-0db0000000000001",
    "eni-0api000000000001",
    "eni-0iso000000000001",
)


@pytest.mark.parametrize(
    ("src", "dst", "port", "exit_code", "expected", "said"),
    [
        # references across a transit gateway: never outbound; inbound only with
        # referencing on the gateway and both attachments (the spoke's is off)
        (APP, DB, "5432", 3, ["SG_REFERENCING_SUPPORT"] * 2, "outbound references"),
        (APP, DB, "443", 3, ["SG_REFERENCING_SUPPORT"], "tgw-attach-0spoke000000001"),
        # references across VPC peering match, both ways
        (APP, API, "8443", 0, [], ""),
        # the transit gateway's route table has no route to vpc-0iso's CIDR
        (APP, ISO, "443", 3, ["TGW_RTB_CANNOT_ROUTE"], "no route covering 10.3.1.60"),
        # a route to a VGW whose VPN learns its routes over BGP: beyond the API
        (APP, "172.16.5.10", "443", 3, ["UNKNOWN_DESTINATION"], "BGP"),
        # a hairpin: by private address the group reference matches; by the public IP
        # the flow comes back from web1's public IP, which it does not
        ("eni-0web100000000001", "eni-0web200000000001", "443", 0, [], ""),
        (
            "eni-0web100000000001",
            "198.51.100.20",
            "443",
            3,
            ["ENI_SG_RULES_MISMATCH"],
            "sees the flow from 198.51.100.10",
        ),
        # public IP and Elastic IP (on a secondary address) from the internet
        ("8.8.8.8", "198.51.100.20", "80", 0, [], ""),
        ("8.8.8.8", "203.0.113.21", "80", 0, [], ""),
        # an unowned source inside a VPC's CIDR sends nothing
        ("10.0.1.99", "eni-0web100000000001", "80", 3, ["NO_PATH"], "nothing can send from it"),
    ],
)
def test_diagnose_on_the_transit_links_estate(
    saved: dict[str, Path],
    src: str,
    dst: str,
    port: str,
    exit_code: int,
    expected: list[str],
    said: str,
) -> None:
    """Group references over a transit gateway and over peering, TGW route tables, BGP
    VPNs, hairpins and public destinations, as `diagnose --output json` reports them."""
    code, answer = diagnose(saved["transit_links"], src, dst, "--port", port)
    assert (code, answer["reachable"], codes(answer)) == (exit_code, not expected, expected)
    assert said in str(answer)
    for cause in answer["root_causes"]:
        assert not cause["resource"].startswith("eni-")
