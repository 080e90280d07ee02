"""The /netmend words: every command parses to what it says, bad input to a usage line."""

from __future__ import annotations

import pytest

from netmend.chatops.commands import (
    CommandError,
    DiagnoseCommand,
    FixCommand,
    FlowSpec,
    HelpCommand,
    RollbackCommand,
    RunsCommand,
    parse_command,
)


def test_diagnose_and_fix_parse_the_flow_and_options() -> None:
    assert parse_command("diagnose i-0abc 10.0.1.5 tcp/443") == DiagnoseCommand(
        FlowSpec("i-0abc", "10.0.1.5", "tcp", 443)
    )
    fix = parse_command('fix eni-1 i-2 UDP/53 playbook=wrong-port change="CHG 4711"')
    assert fix == FixCommand(
        FlowSpec("eni-1", "i-2", "udp", 53), playbook="wrong-port", change_id="CHG 4711"
    )


def test_icmp_and_all_protocols() -> None:
    assert parse_command("diagnose a b icmp").flow == FlowSpec("a", "b", "icmp", icmp_type=8)  # type: ignore[union-attr]
    assert parse_command("diagnose a b icmp/0/0").flow == FlowSpec(  # type: ignore[union-attr]
        "a", "b", "icmp", icmp_type=0, icmp_code=0
    )
    assert parse_command("diagnose a b all").flow.protocol == "-1"  # type: ignore[union-attr]


def test_rollback_runs_help() -> None:
    assert parse_command("rollback 20260101T000000Z-1a2b") == RollbackCommand(
        "20260101T000000Z-1a2b"
    )
    assert parse_command("runs") == RunsCommand()
    assert parse_command("help") == HelpCommand()
    assert parse_command("   ") == HelpCommand()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("diagnose a b", "Usage: /netmend diagnose SRC DST PROTO/PORT"),
        ("diagnose a b tcp/70000", "port '70000' is not a number from 0 to 65535"),
        ("diagnose a b tcp", "is not PROTO/PORT"),
        ("fix a b tcp/22 colour=red", "unexpected 'colour=red'"),
        ("fix a b tcp/22 playbook=", "unexpected 'playbook='"),
        ("rollback", "Usage: /netmend rollback RUN_ID"),
        ("rollback ../../etc", "rollback needs one run id"),
        ("runs all", "runs takes no arguments"),
        ("launch missiles", "unknown command 'launch'"),
        ('fix a b "tcp/22', "cannot read the command"),
        ("diagnose a;rm b tcp/22", "is not an instance id"),
        ('fix a b tcp/22 change="<!channel>"', "change= takes letters"),
        ("fix a b tcp/22 playbook=../x", "is not a playbook id"),
    ],
)
def test_bad_commands_answer_one_usage_line(text: str, says: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)
