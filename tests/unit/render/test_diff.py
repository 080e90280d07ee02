"""The dry-run diff: rule tables before/after with +/- rows, kinds, warnings, CLI, JSON."""

from __future__ import annotations

import io
import json
import re
import shlex

import pytest
from rich.console import Console

from netmend.model import AclEntry, NetworkAcl, NetworkInterface, SecurityGroup, SgRule
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.render.diff import (
    DIFF_FORMATS,
    aws_cli_commands,
    plan_to_json,
    plan_to_text,
    render_plan,
)
from netmend.run.plan import Change, ChangeKind, Plan

RUN_ID = "20250101T000000Z-0badc0de"
UNTRACKED = "untracked flow: existing connections are cut at once"


def _rule(port: int, *, rule_id: str | None, egress: bool = False, **peer: str) -> SgRule:
    peer = peer or {"cidr_ipv4": "10.0.0.0/16"}
    return SgRule(
        group_id="sg-1",
        egress=egress,
        protocol="tcp",
        from_port=port,
        to_port=port,
        rule_id=rule_id,
        **peer,
    )


SSH = _rule(22, rule_id="sgr-22")
OLD_8080 = _rule(8080, rule_id="sgr-8080")
ALL_OUT = SgRule(
    group_id="sg-1", egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0", rule_id="sgr-eg"
)
NEW_8443 = _rule(8443, rule_id=None, referenced_group_id="sg-2", description="shop to inventory")
BEFORE = SecurityGroup(group_id="sg-1", group_name="inventory", rules=(SSH, OLD_8080, ALL_OUT))
ADD_PARAMS = {
    "GroupId": "sg-1",
    "IpPermissions": [
        {
            "IpProtocol": "tcp",
            "FromPort": 8443,
            "ToPort": 8443,
            "UserIdGroupPairs": [{"GroupId": "sg-2", "Description": "shop to inventory"}],
        }
    ],
}


def _add_change() -> Change:
    # The planner may rebuild the rule tuple in any order: the diff must not care.
    after = BEFORE.model_copy(update={"rules": (ALL_OUT, NEW_8443, OLD_8080, SSH)})
    return Change(
        action="sg.authorize-ingress",
        api="AuthorizeSecurityGroupIngress",
        resource="sg-1",
        params=ADD_PARAMS,
        kinds=(ChangeKind.ADDITION,),
        summary="allow tcp/8443 from sg-2",
        before=BEFORE,
        after=after,
    )


def _revoke_change(before: SecurityGroup) -> Change:
    after = before.model_copy(update={"rules": tuple(r for r in before.rules if r != OLD_8080)})
    return Change(
        action="sg.revoke-rule",
        api="RevokeSecurityGroupIngress",
        resource="sg-1",
        params={"GroupId": "sg-1", "SecurityGroupRuleIds": ["sgr-8080"]},
        kinds=(ChangeKind.REVOCATION,),
        summary="remove unused tcp/8080",
        before=before,
        after=after,
        warnings=(UNTRACKED,),
    )


def _add_and_revoke_plan(region: str | None = None) -> Plan:
    add = _add_change()
    assert isinstance(add.after, SecurityGroup)
    return Plan(run_id=RUN_ID, region=region, changes=(add, _revoke_change(add.after)))


def _acl(*entries: AclEntry) -> NetworkAcl:
    defaults = tuple(
        AclEntry(
            rule_number=32767, egress=egress, protocol="-1", rule_action="deny", cidr="0.0.0.0/0"
        )
        for egress in (False, True)
    )
    return NetworkAcl(network_acl_id="acl-1", vpc_id="vpc-1", entries=(*defaults, *entries))


DENY_100 = AclEntry(
    rule_number=100,
    egress=False,
    protocol="6",
    rule_action="deny",
    cidr="10.0.1.0/24",
    port_from=8443,
    port_to=8443,
)
ALLOW_90 = AclEntry(
    rule_number=90,
    egress=False,
    protocol="6",
    rule_action="allow",
    cidr="10.0.1.0/24",
    port_from=8443,
    port_to=8443,
)
EGRESS_200 = AclEntry(
    rule_number=200, egress=True, protocol="-1", rule_action="allow", cidr="0.0.0.0/0"
)


def _acl_plan() -> Plan:
    before = _acl(EGRESS_200, DENY_100)
    change = Change(
        action="acl.create-entry",
        api="CreateNetworkAclEntry",
        resource="acl-1",
        params={
            "NetworkAclId": "acl-1",
            "RuleNumber": 90,
            "Protocol": "6",
            "RuleAction": "allow",
            "Egress": False,
            "CidrBlock": "10.0.1.0/24",
            "PortRange": {"From": 8443, "To": 8443},
        },
        kinds=(ChangeKind.ADDITION, ChangeKind.DENY_OVERRIDE),
        summary="allow tcp/8443 before deny 100",
        before=before,
        after=_acl(ALLOW_90, EGRESS_200, DENY_100),
    )
    return Plan(run_id=RUN_ID, changes=(change,))


def _eni_plan() -> Plan:
    before = NetworkInterface(
        network_interface_id="eni-1",
        subnet_id="subnet-1",
        vpc_id="vpc-1",
        private_ips=("10.0.1.5",),
        group_ids=("sg-keep", "sg-old"),
        instance_id="i-1",
    )
    change = Change(
        action="eni.set-groups",
        api="ModifyNetworkInterfaceAttribute",
        resource="eni-1",
        params={"NetworkInterfaceId": "eni-1", "Groups": ["sg-keep", "sg-new"]},
        kinds=(ChangeKind.ENI_GROUPS,),
        before=before,
        after=before.model_copy(update={"group_ids": ("sg-keep", "sg-new")}),
    )
    return Plan(run_id=RUN_ID, changes=(change,))


def _quota_plan() -> Plan:
    change = Change(
        action="quota.request-increase",
        api="RequestServiceQuotaIncrease",
        service="service-quotas",
        resource="L-0EA8095F",
        params={"ServiceCode": "vpc", "QuotaCode": "L-0EA8095F", "DesiredValue": 120.0},
        kinds=(ChangeKind.QUOTA,),
        summary="raise rules per group to 120",
    )
    return Plan(run_id=RUN_ID, changes=(change,))


def _line(text: str, *needles: str) -> str:
    """The one line of the rule tables (above the list of changes) holding every needle."""
    tables = text.split("Changes", 1)[0]
    found = [line for line in tables.splitlines() if all(n in line for n in needles)]
    assert len(found) == 1, f"{needles} found on {len(found)} lines:\n{text}"
    return found[0]


# --- the table view ---------------------------------------------------------------------


def test_added_rule_is_marked_plus_and_unchanged_rows_are_plain() -> None:
    """An added rule's row starts with +; rules present before and after carry no mark."""
    text = plan_to_text(Plan(run_id=RUN_ID, changes=(_add_change(),)))
    added = _line(text, "8443", "sg-2").split()
    assert added[:4] == ["+", "ingress", "tcp", "8443"]
    assert "shop" in added
    assert "(new)" in added
    for port, rule_id in (("22", "sgr-22"), ("8080", "sgr-8080")):
        row = _line(text, f" {port} ", rule_id).split()
        assert row[0] == "ingress"
    assert _line(text, "sgr-eg").split()[:3] == ["egress", "all", "all"]
    assert not any(line.split()[:1] == ["-"] for line in text.splitlines())


def test_revoked_rule_is_marked_minus_across_two_changes() -> None:
    """With an add then a revoke on one group, the table spans first before to last after."""
    text = plan_to_text(_add_and_revoke_plan())
    assert _line(text, "8080", "sgr-8080").split()[0] == "-"
    assert _line(text, "8443", "sg-2").split()[0] == "+"
    assert _line(text, " 22 ", "sgr-22").split()[0] == "ingress"
    assert text.count("Security group sg-1 (inventory)") == 1


def test_rows_are_compared_by_content_not_by_order_or_rule_id() -> None:
    """The same rules in another order, one without its rule id, show no + or - at all."""
    reordered = BEFORE.model_copy(
        update={"rules": (ALL_OUT, OLD_8080.model_copy(update={"rule_id": None}), SSH)}
    )
    change = Change(
        action="noop",
        api="AuthorizeSecurityGroupIngress",
        resource="sg-1",
        params=ADD_PARAMS,
        before=BEFORE,
        after=reordered,
    )
    text = plan_to_text(Plan(run_id=RUN_ID, changes=(change,)))
    marks = {line.split()[0] for line in text.splitlines() if "10.0.0.0/16" in line}
    assert marks == {"ingress"}


def test_acl_allow_shows_before_the_deny_in_evaluation_order() -> None:
    """ACL rows go by direction then rule number; the new 90 precedes deny 100, * comes last."""
    text = plan_to_text(_acl_plan())
    lines = text.splitlines()
    row_90 = lines.index(_line(text, "ingress", " 90 "))
    row_100 = lines.index(_line(text, "ingress", " 100 "))
    row_star_in = lines.index(_line(text, "ingress", " * "))
    row_200 = lines.index(_line(text, "egress", " 200 "))
    row_star_out = lines.index(_line(text, "egress", " * "))
    assert row_90 < row_100 < row_star_in < row_200 < row_star_out
    assert lines[row_90].split() == ["+", "ingress", "90", "tcp", "8443", "10.0.1.0/24", "allow"]
    assert lines[row_100].split() == ["ingress", "100", "tcp", "8443", "10.0.1.0/24", "deny"]
    assert "deny-override: places an allow before an explicit deny" in text


def test_eni_group_change_marks_added_and_removed_groups() -> None:
    """An interface's group list shows the new group with + and the dropped one with -."""
    text = plan_to_text(_eni_plan())
    assert "Network interface eni-1 (i-1)" in text
    assert _line(text, "sg-new").split()[0] == "+"
    assert _line(text, "sg-old").split()[0] == "-"
    assert _line(text, "sg-keep").split() == ["sg-keep"]


def test_eni_group_rows_carry_the_group_names_the_plan_knows() -> None:
    """Group ids in an interface's list are shown with their names from the plan."""
    plan = _eni_plan().model_copy(
        update={"group_names": {"sg-new": "api-sg", "sg-keep": "default"}}
    )
    text = plan_to_text(plan)
    assert _line(text, "sg-new").split() == ["+", "sg-new", "api-sg"]
    assert _line(text, "sg-keep").split() == ["sg-keep", "default"]


def test_kinds_and_warnings_follow_the_tables() -> None:
    """The kinds in the plan are listed with their meaning, then each warning once."""
    text = plan_to_text(_add_and_revoke_plan())
    assert "addition: adds a narrow rule" in text
    assert "revocation: removes a rule or entry" in text
    assert "quota:" not in text
    assert text.count(UNTRACKED) == 1
    assert text.index("Security group sg-1") < text.index("Change kinds") < text.index(UNTRACKED)
    assert text.index(UNTRACKED) < text.index("Equivalent AWS CLI commands")


def test_quota_request_has_no_table_but_is_listed_with_its_command() -> None:
    """A change without resource state is named in the changes and gets its CLI command."""
    text = plan_to_text(_quota_plan())
    assert "RequestServiceQuotaIncrease on L-0EA8095F: raise rules per group to 120" in text
    assert "request-service-quota-increase" in text
    assert "--desired-value 120 " in text or "--desired-value 120\n" in text
    assert "direction" not in text


def test_table_view_commands_are_the_same_commands_over_several_lines() -> None:
    """The continuation layout in the table holds exactly the tokens of the one-line commands."""
    plan = _add_and_revoke_plan(region="eu-west-1")
    text = plan_to_text(plan, width=200)
    block = text[text.index("Equivalent AWS CLI commands") :].split("\n", 1)[1]
    commands = [c for c in re.split(r"\n(?=aws )", block.strip()) if c]
    assert len(commands) == 2
    for shown, one_line in zip(commands, aws_cli_commands(plan), strict=True):
        shown_tokens = shlex.split(shown.replace("\\\n", " "))
        expected = shlex.split(one_line)
        assert len(shown_tokens) == len(expected)
        for got, want in zip(shown_tokens, expected, strict=True):
            assert (json.loads(got) == json.loads(want)) if want.startswith("[") else got == want


@pytest.mark.parametrize("fmt", DIFF_FORMATS)
def test_empty_plan_renders_nothing_to_do(fmt: str) -> None:
    """A plan without changes says "nothing to do" in every format."""
    text = plan_to_text(Plan(run_id=RUN_ID), fmt)  # type: ignore[arg-type]
    assert "nothing to do" in text
    assert "aws ec2" not in text
    assert "resource " not in text


def test_header_names_the_flow_change_and_region() -> None:
    """The table view opens with the run id, the flow, the playbooks, change id and region."""
    flow = Flow(
        source=Endpoint(
            kind=EndpointKind.ENI,
            address="10.0.1.5",
            eni_id="eni-1",
            instance_id="i-1",
            given="i-1",
        ),
        destination=Endpoint(
            kind=EndpointKind.ENI, address="10.0.2.9", eni_id="eni-2", given="eni-2"
        ),
        protocol="tcp",
        port=8443,
    )
    plan = _add_and_revoke_plan(region="eu-west-1").model_copy(
        update={"flow": flow, "playbooks": ("wrong-port",), "change_id": "CHG-42"}
    )
    head = plan_to_text(plan).split("Security group", 1)[0]
    assert f"Plan {RUN_ID}" in head
    assert "flow: tcp/8443 from i-1 (10.0.1.5) to eni-2 (10.0.2.9)" in head
    assert "playbooks: wrong-port" in head
    assert "change: CHG-42" in head
    assert "region: eu-west-1" in head


def test_unknown_format_is_refused() -> None:
    """A format outside table/awscli/terraform/cloudformation raises ValueError."""
    with pytest.raises(ValueError, match="unknown diff format"):
        plan_to_text(Plan(run_id=RUN_ID), "yaml")  # type: ignore[arg-type]


def test_added_row_is_green_and_removed_row_red() -> None:
    """With colour on, the + row carries green (ANSI 32) and the - row red (ANSI 31)."""
    console = Console(
        file=io.StringIO(), record=True, color_system="truecolor", width=120, force_terminal=True
    )
    console.print(render_plan(_add_and_revoke_plan()))
    styled = console.export_text(styles=True)
    added = _line(styled, "8443", "sg-2")
    removed = _line(styled, "8080", "sgr-8080")
    unchanged = _line(styled, "sgr-22")
    assert "\x1b[32m" in added
    assert "\x1b[31m" not in added
    assert "\x1b[31m" in removed
    assert "\x1b[32m" not in removed
    assert "\x1b[31m" not in unchanged
    assert "\x1b[32m" not in unchanged


def test_plain_text_has_no_colour_codes() -> None:
    """plan_to_text is for files and tests: no escape sequences."""
    assert "\x1b[" not in plan_to_text(_add_and_revoke_plan())


# --- JSON -------------------------------------------------------------------------------


def test_plan_to_json_lists_each_change_with_its_exact_params() -> None:
    """Each change is {api, resource, params, kinds, summary, warnings, ...} and serialises."""
    plan = _add_and_revoke_plan(region="eu-west-1")
    document = json.loads(json.dumps(plan_to_json(plan)))
    assert document["run_id"] == RUN_ID
    first, second = document["changes"]
    assert first["api"] == "AuthorizeSecurityGroupIngress"
    assert first["resource"] == "sg-1"
    assert first["params"] == ADD_PARAMS
    assert first["kinds"] == ["addition"]
    assert first["summary"] == "allow tcp/8443 from sg-2"
    assert first["warnings"] == []
    assert second["params"] == {"GroupId": "sg-1", "SecurityGroupRuleIds": ["sgr-8080"]}
    assert second["kinds"] == ["revocation"]
    assert second["warnings"] == [UNTRACKED]
    assert second["aws_cli"] == (
        "aws ec2 revoke-security-group-ingress --group-id sg-1 "
        "--security-group-rule-ids sgr-8080 --region eu-west-1"
    )


def test_plan_to_json_params_are_a_copy() -> None:
    """Mutating the JSON document does not reach back into the frozen plan."""
    plan = _add_and_revoke_plan()
    document = plan_to_json(plan)
    document["changes"][0]["params"]["GroupId"] = "sg-other"
    assert plan.changes[0].params["GroupId"] == "sg-1"
