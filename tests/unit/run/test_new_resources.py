"""Placeholders for the groups a plan creates, their resolution, and what the journal says."""

from __future__ import annotations

import pytest

from netmend.aws.mutations import read_resources, snapshot_kind
from netmend.model import NetworkInterface, SecurityGroup, SgRule
from netmend.run.new_resources import (
    created_group_ids,
    creation_attempted,
    has_placeholder,
    is_placeholder,
    new_group_ref,
    placeholder_variable,
    resolve_change,
    resolve_plan,
    resolve_value,
)
from netmend.run.plan import Change, ChangeKind, Plan
from netmend.store.records import JournalEntry

RUN = "20250101T000000Z-abcdef12"
REF1, REF10 = new_group_ref(RUN, 1), new_group_ref(RUN, 10)


class NoAws:
    """Clients that fail the test on any use."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"AWS was touched: {name}")


def test_placeholders_are_not_group_ids() -> None:
    """A placeholder names the run and a number, and never looks like an sg- id."""
    assert f"new-sg:{RUN}:1" == REF1
    assert is_placeholder(REF1)
    assert not REF1.startswith("sg-")
    assert not is_placeholder("sg-0123456789abcdef0")
    assert not is_placeholder(f"new-sg:{RUN}")
    assert placeholder_variable(REF10) == "NEW_SG_10"
    with pytest.raises(ValueError, match="cannot make a placeholder"):
        new_group_ref("bad:run", 1)


def test_resolution_replaces_whole_placeholders_only() -> None:
    """``...:1`` is replaced without touching ``...:10``; unknown ones stay as they are."""
    value = {
        "GroupId": REF1,
        "Groups": ["sg-a", REF1, REF10],
        "Text": f"attach {REF1} and {REF10}",
        "Count": 3,
    }
    resolved = resolve_value(value, {REF1: "sg-new1"})
    assert resolved == {
        "GroupId": "sg-new1",
        "Groups": ["sg-a", "sg-new1", REF10],
        "Text": f"attach sg-new1 and {REF10}",
        "Count": 3,
    }
    assert has_placeholder(resolved)
    assert not has_placeholder(resolve_value(resolved, {REF10: "sg-new10"}))


def _plan() -> Plan:
    created = SecurityGroup(
        group_id=REF1,
        group_name="web-overflow-1",
        vpc_id="vpc-1",
        rules=(
            SgRule(
                group_id=REF1,
                egress=False,
                protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4="10.0.0.1/32",
            ),
        ),
    )
    eni = NetworkInterface(
        network_interface_id="eni-1",
        subnet_id="subnet-1",
        vpc_id="vpc-1",
        private_ips=("10.0.1.5",),
        group_ids=("sg-web",),
    )
    return Plan(
        run_id=RUN,
        changes=(
            Change(
                action="sg.create-group",
                api="CreateSecurityGroup",
                resource=REF1,
                params={"GroupName": "web-overflow-1"},
                kinds=(ChangeKind.ADDITION,),
                after=created,
            ),
            Change(
                action="eni.attach-group",
                api="ModifyNetworkInterfaceAttribute",
                resource="eni-1",
                params={"NetworkInterfaceId": "eni-1", "Groups": ["sg-web", REF1]},
                kinds=(ChangeKind.ENI_GROUPS,),
                before=eni,
                after=eni.model_copy(update={"group_ids": ("sg-web", REF1)}),
            ),
        ),
    )


def test_resolved_plan_names_the_real_group_everywhere() -> None:
    """Resource, params and the states a verifier reads all carry the real id."""
    plan = resolve_plan(_plan(), {REF1: "sg-new1"})
    assert plan.resources == ("sg-new1", "eni-1")
    group = plan.after("sg-new1")
    assert isinstance(group, SecurityGroup)
    assert group.group_id == "sg-new1"
    assert {r.group_id for r in group.rules} == {"sg-new1"}
    eni = plan.after("eni-1")
    assert isinstance(eni, NetworkInterface)
    assert eni.group_ids == ("sg-web", "sg-new1")
    assert plan.changes[1].params["Groups"] == ["sg-web", "sg-new1"]
    unchanged = _plan().changes[1]
    assert resolve_change(unchanged, {}) is unchanged


def _entry(seq: int, event: str, api: str, resource: str, **extra: object) -> JournalEntry:
    return JournalEntry(
        seq=seq, phase="apply", step=seq, event=event, api=api, resource=resource, **extra
    )  # type: ignore[arg-type]


def test_journal_keeps_the_id_each_create_answered() -> None:
    """The outcome of a create maps its intent's placeholder to the id AWS gave; a
    create with no outcome (killed) maps nothing but still counts as attempted."""
    journal = [
        _entry(1, "intent", "CreateSecurityGroup", REF1),
        _entry(
            2,
            "outcome",
            "CreateSecurityGroup",
            REF1,
            outcome="ok",
            intent_seq=1,
            created_id="sg-new1",
        ),
        _entry(3, "intent", "CreateSecurityGroup", REF10),
    ]
    assert created_group_ids(journal) == {REF1: "sg-new1"}
    assert creation_attempted(journal)
    assert creation_attempted(journal[2:])
    assert created_group_ids(journal[2:]) == {}
    assert not creation_attempted([_entry(1, "intent", "AuthorizeSecurityGroupIngress", "sg-web")])


def test_snapshot_and_readers_pass_placeholders_by() -> None:
    """Nothing can be read before the group exists: no snapshot kind, no AWS call."""
    assert snapshot_kind(REF1) is None
    assert read_resources(NoAws(), [REF1, REF10]) == {}  # type: ignore[arg-type]
