"""lb-target-blocked on a moto server: an ALB whose targets' group does not admit it.

moto's elbv2 holds the load balancer, its listener, the target group and the registered
instance; netmend collects them over HTTP like any account, walks client -> ALB ->
listener -> target (traffic port) and every node -> target (health-check port), fixes
the target's group, verifies, and rolls back exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netmend.demo.balanced import build_unhealthy_targets
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle

pytestmark = pytest.mark.integration


def _permissions(changes: list[dict[str, Any]]) -> set[tuple[str, str, int, str]]:
    found = set()
    for change in changes:
        for perm in change["params"]["IpPermissions"]:
            for pair in perm.get("UserIdGroupPairs", []):
                found.add((change["api"], change["resource"], perm["FromPort"], pair["GroupId"]))
    return found


def test_alb_target_blocked_cycle(aws: MotoAws, cli_env: Path) -> None:
    """shop-alb (its group admits the web tier on 80) forwards to shop-app-1 on 8080 and
    health-checks 8081; shop-app-sg admits only ssh. Diagnosed at the listener, the target
    and both health-check nodes, blocked by shop-app-sg; the plan admits the ALB's group
    on 8080 and 8081, nothing wider; applied, verified, rolled back exactly."""
    clients = aws.clients()
    estate = build_unhealthy_targets(aws.ec2, clients.elbv2)
    app_sg, lb_sg = estate.ids["server_sg"], estate.ids["lb_sg"]
    cycle = run_fix_cycle(clients, estate, ports=(22, 80, 8080, 8081))

    diagnosis = cycle.diagnosis
    assert diagnosis["exit_code"] == 3
    hops = diagnosis["path"]["forward"]
    kinds = [h["kind"] for h in hops]
    assert kinds.index("load-balancer") < kinds.index("listener") < kinds.index("target")
    listener = next(h for h in hops if h["kind"] == "listener")
    assert listener["allowed"]
    assert "HTTP:80 forward to shop-app-tg" in listener["detail"]
    target = next(h for h in hops if h["kind"] == "target")
    assert target["component"] == estate.ids["server_instance"]
    assert not target["allowed"]
    blocked = [e for e in diagnosis["explanations"] if e["segment"]]
    assert {e["component"] for e in blocked} == {app_sg}
    assert {e["code"] for e in blocked} == {"ENI_SG_RULES_MISMATCH"}
    segments = sorted(e["segment"].split()[0] for e in blocked)
    assert segments == ["health-check", "health-check", "target"]  # two nodes, one target
    assert all(e["segment"] is None for e in diagnosis["explanations"] if e not in blocked)
    (cause,) = diagnosis["root_causes"]
    assert (cause["playbook"], cause["resource"]) == ("lb-target-blocked", app_sg)
    assert cause["evidence"]["ports"] == [8080, 8081]
    assert cause["evidence"]["peers"] == [lb_sg]

    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    assert _permissions(cycle.dry_run["changes"]) == {
        ("AuthorizeSecurityGroupIngress", app_sg, 8080, lb_sg),
        ("AuthorizeSecurityGroupIngress", app_sg, 8081, lb_sg),
    }
    assert all(
        "IpRanges" not in p for c in cycle.dry_run["changes"] for p in c["params"]["IpPermissions"]
    )
    assert "aws ec2 authorize-security-group-ingress" in cycle.dry_run_text
    cycle.assert_fixed_and_restored()


def test_target_health_names_the_network_then_passes_after_the_fix(
    aws: MotoAws, cli_env: Path
) -> None:
    """--target-health walks the health check from both ALB nodes to the target on 8081:
    dropped at shop-app-sg (exit 3); once the plan is applied, admitted (exit 0)."""
    clients = aws.clients()
    estate = build_unhealthy_targets(aws.ec2, clients.elbv2)
    before = run_cli("diagnose", "--target-health", "shop-app-tg", "--output", "json")
    assert before.exit_code == 3, before.stderr
    report = before.json()
    (target,) = report["targets"]
    assert target["target"] == estate.ids["server_instance"]
    assert (target["port"], target["health_check_port"]) == (8080, 8081)
    assert target["network_blocks"] is True
    assert len(target["health_checks"]) == 2
    assert all(not leg["reachable"] for leg in target["health_checks"])
    assert {e["component"] for leg in target["health_checks"] for e in leg["explanations"]} == {
        estate.ids["server_sg"]
    }
    assert [c["playbook"] for c in report["root_causes"]] == ["lb-target-blocked"]

    applied = run_cli(*["fix", *estate.flow_args(), "--apply", "--yes", "--output", "json"])
    assert applied.json()["status"] == "applied", applied.stderr
    after = run_cli("diagnose", "--target-health", estate.ids["target_group"], "--output", "json")
    assert after.exit_code == 0, after.stdout
    assert after.json()["network_ok"] is True


def test_port_without_listener_is_blocked_at_the_listener(aws: MotoAws, cli_env: Path) -> None:
    """shop-alb:8443 has no listener: ELBV2_LISTENER_PORT_RESTRICTION at the ALB, and no
    target is walked (the flow never gets past the load balancer)."""
    clients = aws.clients()
    estate = build_unhealthy_targets(aws.ec2, clients.elbv2)
    clients.ec2.authorize_security_group_ingress(
        GroupId=estate.ids["lb_sg"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "UserIdGroupPairs": [{"GroupId": estate.ids["client_sg"]}],
            }
        ],
    )
    result = run_cli(
        "diagnose", "--source", estate.source, "--destination", "shop-alb:8443", "--output", "json"
    )
    assert result.exit_code == 3, result.stderr
    document = result.json()
    (only,) = document["explanations"]
    assert only["code"] == "ELBV2_LISTENER_PORT_RESTRICTION"
    assert only["component"] == estate.ids["load_balancer"]
    assert "no listener on port 8443" in only["detail"]
    assert not any(h["kind"] == "target" for h in document["path"]["forward"])
    assert document["root_causes"] == []
    udp = run_cli(
        "diagnose",
        *("--source", estate.source, "--destination", "shop-alb", "--port", "80"),
        *("--protocol", "udp", "--output", "json"),
    )
    codes = [e["code"] for e in udp.json()["explanations"]]
    assert "ELBV2_LISTENERS_MISMATCH" in codes
