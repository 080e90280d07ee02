"""Intents checked against the demo estates on a real moto server, over HTTP.

moto has no Reachability Analyzer, so these runs verify locally: ``auto`` must choose
local on moto's endpoint by itself, and an explicit ``reachability-analyzer`` must fail
with a clear error rather than a parser traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netmend.aws.collector import collect_inventory
from netmend.aws.reachability import ReachabilityAnalyzerError
from netmend.demo.estates import HEALTHY, OCTETS, BuiltEstate, build_all, fix_by_hand
from netmend.reach import make_flow
from netmend.run.plan import Plan
from netmend.verify.analyzer import AnalyzerRunVerifier, runner_verifiers
from netmend.verify.flow import LocalVerifier, MethodVerifier, select_verifier
from netmend.verify.intents import Intent, IntentsError, dump_intents, load_intents
from netmend.verify.report import check_intents, intents_hold_after

pytestmark = pytest.mark.integration

SSH_DENIED = "healthy: no ssh from the web tier to the API"


@pytest.fixture
def estates(aws: Any) -> dict[str, BuiltEstate]:
    """Every demo estate, built on the freshly reset server, by root cause."""
    return {estate.root_cause: estate for estate in build_all(aws.ec2)}


def _intents_file(tmp_path: Path, estates: dict[str, BuiltEstate]) -> Path:
    """One `allowed` intent per estate's flow, and ssh in the healthy estate `denied`."""
    intents = [
        Intent(
            name=cause,
            source=e.source,
            destination=e.destination,
            protocol=e.protocol,
            port=e.port,
            icmp_type=e.icmp_type,
            expect="allowed",
        )
        for cause, e in estates.items()
    ]
    healthy = estates[HEALTHY]
    intents.append(
        Intent(
            name=SSH_DENIED,
            source=healthy.source,
            destination=healthy.destination,
            port=22,
            expect="denied",
        )
    )
    path = tmp_path / "intents.yaml"
    path.write_text(dump_intents(intents), encoding="utf-8")
    return path


def test_intents_hold_or_are_violated_where_the_estates_say(
    aws: Any, estates: dict[str, BuiltEstate], tmp_path: Path
) -> None:
    """Checked locally, the healthy flow and the denied ssh hold; every broken estate's
    flow is violated, blocked at the component the estate names; the JSON counts them."""
    intents = load_intents(_intents_file(tmp_path, estates))

    report = check_intents(MethodVerifier("local", aws.clients()), intents)

    results = {r.name: r for r in report.intents}
    assert (results[HEALTHY].held, results[HEALTHY].reachable) == (True, True)
    assert (results[SSH_DENIED].held, results[SSH_DENIED].reachable) == (True, False)
    for cause, estate in estates.items():
        if cause == HEALTHY:
            continue
        result = results[cause]
        assert (result.held, result.reachable, result.method) == (False, False, "local"), cause
        assert result.blocking is not None, cause
        assert result.blocking.component == estate.expected_component, cause
    document = report.model_dump(mode="json")
    assert document["violated"] == len(estates) - 1
    assert [i["held"] for i in document["intents"]].count(True) == 2


def test_after_the_runbooks_fixes_every_intent_holds(
    aws: Any, estates: dict[str, BuiltEstate], tmp_path: Path
) -> None:
    """intents_hold_after re-reads what the intents cross after fix_by_hand: every
    intent then holds (the denied ssh included), as a full re-collection also says."""
    intents = load_intents(_intents_file(tmp_path, estates))
    clients = aws.clients()
    before = collect_inventory(clients, quotas=False)
    held_before, _ = intents_hold_after(clients, before, intents)

    for estate in estates.values():
        if not estate.reachable:
            fix_by_hand(aws.ec2, estate)
    held, report = intents_hold_after(clients, before, intents)

    assert held_before is False
    assert held is True, [(r.name, r.detail) for r in report.intents if not r.held]
    fresh = check_intents(collect_inventory(clients, quotas=False), intents)
    assert [r.held for r in fresh.intents] == [r.held for r in report.intents]


def test_an_unknown_instance_in_the_file_is_bad_input_with_its_line(
    aws: Any, estates: dict[str, BuiltEstate], tmp_path: Path
) -> None:
    """An id the region does not hold stops the check with FILE:LINE (exit 2)."""
    path = tmp_path / "intents.yaml"
    healthy = estates[HEALTHY]
    path.write_text(
        dump_intents(
            [
                Intent(
                    name="ok",
                    source=healthy.source,
                    destination=healthy.destination,
                    port=443,
                    expect="allowed",
                ),
                Intent(
                    name="ghost",
                    source=healthy.source,
                    destination="i-0123456789abcdef0",
                    port=443,
                    expect="allowed",
                ),
            ]
        ),
        encoding="utf-8",
    )

    with pytest.raises(IntentsError) as info:
        check_intents(MethodVerifier("local", aws.clients()), load_intents(path))
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"{path}:8: intent 'ghost': unknown instance")


def test_auto_on_moto_picks_local(aws: Any, estates: dict[str, BuiltEstate]) -> None:
    """moto's endpoint is not AWS: auto verifies locally and says why."""
    clients = aws.clients()
    local = LocalVerifier(clients)
    healthy = estates[HEALTHY]
    flow = make_flow(local.inventory, healthy.source, healthy.destination, port=443)

    verifier = select_verifier("auto", clients, flow, local=local)
    verdict = verifier.check(flow)

    assert verifier.method == "local"
    assert (verdict.method, verdict.reachable) == ("local", True)
    assert verdict.fallback_reason is not None
    assert aws.endpoint_url in verdict.fallback_reason


def test_explicit_reachability_analyzer_on_moto_fails_clearly(
    aws: Any, estates: dict[str, BuiltEstate]
) -> None:
    """Asked for Reachability Analyzer on moto (which lacks it): a one-line netmend
    error pointing at --method local, not a response-parser traceback."""
    clients = aws.clients()
    verifier = MethodVerifier("reachability-analyzer", clients)
    healthy = estates[HEALTHY]
    flow = make_flow(verifier.inventory, healthy.source, healthy.destination, port=443)

    with pytest.raises(ReachabilityAnalyzerError, match="--method local"):
        verifier.check(flow)


def test_the_runner_hook_verifies_locally_on_moto(
    aws: Any, estates: dict[str, BuiltEstate]
) -> None:
    """runner_verifiers registers no analyzer for auto on moto; the analyzer hook itself,
    given an ICMP flow, evaluates the estate as it is now and says why."""
    clients = aws.clients()
    assert runner_verifiers(clients, "auto") == {}
    assert set(runner_verifiers(clients, "reachability-analyzer")) == {"reachability-analyzer"}
    broken = estates["wrong-port"]
    inventory = collect_inventory(clients, quotas=False)
    icmp = make_flow(inventory, broken.source, broken.destination, protocol="icmp")

    verification = AnalyzerRunVerifier(clients).verify(Plan(flow=icmp), icmp, (), None)

    assert verification.method == "local"
    assert "Reachability Analyzer cannot analyse ICMP" in verification.detail
    # The wrong-port server's group opens tcp 22 and 8080 only: no ICMP either.
    assert (verification.reachable, verification.passed) == (False, False)
    assert broken.ids["server_sg"] in verification.problems[0]


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "intents.yaml"


def test_the_example_intents_file_says_what_its_comments_promise(
    aws: Any, estates: dict[str, BuiltEstate], tmp_path: Path
) -> None:
    """examples/intents.yaml with its placeholder ids (…607NN client, …697NN server of
    estate 10.NN) replaced by the built ones: the healthy and denied intents hold, the
    wrong-port and wrong-protocol flows are violated."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for cause, estate in estates.items():
        octet = OCTETS[cause]
        text = text.replace(f"i-0a1b2c3d4e5f607{octet:02d}", estate.source)
        text = text.replace(f"i-0f1e2d3c4b5a697{octet:02d}", estate.destination)
    path = tmp_path / "intents.yaml"
    path.write_text(text, encoding="utf-8")

    report = check_intents(MethodVerifier("local", aws.clients()), load_intents(path))

    assert {r.name: r.held for r in report.intents} == {
        "catalog web reaches the catalog API over https": True,
        "no ssh from the web tier to the catalog API": True,
        "shop reaches payments over 8443": False,
        "app resolves names through the forwarder": False,
        "ledger API answers no ping": True,
    }
