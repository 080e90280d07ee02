"""Odd states: stopped instances, detached interfaces, parts missing from the inventory."""

from __future__ import annotations

from netmend.model import Inventory
from netmend.reach import Code, Endpoint, EndpointKind, Flow, evaluate
from netmend.reach.causes.classify import classify

from .builders import Estate, egress, flow, ingress


def _estate(
    *, state: str = "running", attachment: str = "attached", status: str = "in-use"
) -> Estate:
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-open", ingress(), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open", instance="i-a")
    estate.eni(
        "eni-b",
        "subnet-a",
        "10.0.1.20",
        "sg-open",
        instance="i-b",
        state=state,
        attachment_status=attachment,
        status=status,
    )
    return estate


def _blocks(
    inventory: Inventory, source: str = "i-a", destination: str = "i-b"
) -> list[tuple[str, str]]:
    result = evaluate(inventory, flow(inventory, source, destination, "tcp", 443))
    return [(e.code, e.component) for e in result.explanations]


def test_stopped_destination_instance_is_bad_state() -> None:
    """A stopped instance answers nothing: BAD_STATE on the instance."""
    assert _blocks(_estate(state="stopped").build()) == [(Code.BAD_STATE, "i-b")]


def test_detached_interface_is_bad_state_attachment() -> None:
    """A detached ENI (status available) is BAD_STATE_ATTACHMENT on the ENI."""
    inventory = _estate(attachment="detached", status="available").build()
    assert _blocks(inventory, "eni-a", "eni-b") == [(Code.BAD_STATE_ATTACHMENT, "eni-b")]


def test_source_state_comes_first_in_path_order() -> None:
    """A stopped client: its BAD_STATE is reported before anything else on the path."""
    inventory = _estate(state="stopped").build()
    assert _blocks(inventory, "i-b", "i-a")[0] == (Code.BAD_STATE, "i-b")


def test_subnet_missing_from_the_inventory_is_unassociated_component() -> None:
    """An ENI whose subnet was not collected does not crash the walk: the subnet is
    reported once, even when both ends sit in it."""
    estate = _estate()
    estate.eni("eni-c", "subnet-gone", "10.0.5.5", "sg-open")
    assert _blocks(estate.build(), "eni-a", "eni-c") == [
        (Code.UNASSOCIATED_COMPONENT, "subnet-gone")
    ]
    estate.subnets = []
    assert _blocks(estate.build()) == [(Code.UNASSOCIATED_COMPONENT, "subnet-a")]


def test_missing_acl_is_skipped_with_a_note() -> None:
    """No ACL known for a subnet (not even a default one): not checked, and said so."""
    estate = _estate()
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.eni("eni-c", "subnet-b", "10.0.2.30", "sg-open")
    estate.acls = []
    inventory = estate.build()
    result = evaluate(inventory, flow(inventory, "eni-a", "eni-c", "tcp", 443))
    assert result.reachable
    assert any("no network ACL is known for subnet-a" in n for n in result.notes)


def test_missing_group_is_noted_and_matches_nothing() -> None:
    """A group id on the ENI that the inventory lacks: its rules are unknown, so the flow
    is blocked as UNKNOWN_RESOURCE (its own explanation), never SG_HAS_NO_RULES, and no
    root cause proposes a rule for it."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-open", ingress(), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open")
    estate.eni("eni-b", "subnet-a", "10.0.1.20", "sg-gone")
    inventory = estate.build()
    result = evaluate(inventory, flow(inventory, "eni-a", "eni-b", "tcp", 443))
    assert [(e.code, e.component) for e in result.explanations] == [
        (Code.UNKNOWN_RESOURCE, "sg-gone")
    ]
    assert any("sg-gone" in n for n in result.notes)
    assert classify(inventory, result.flow, result) == ()


def test_interface_unknown_to_the_inventory_is_unassociated_component() -> None:
    """A flow built against another inventory names an ENI this one lacks."""
    inventory = _estate().build()
    ghost = Endpoint(
        kind=EndpointKind.ENI, address="10.0.9.9", eni_id="eni-ghost", given="eni-ghost"
    )
    good = flow(inventory, "eni-a", "eni-b", "tcp", 443)
    result = evaluate(
        inventory, Flow(source=good.source, destination=ghost, protocol="tcp", port=443)
    )
    assert [(e.code, e.component) for e in result.explanations] == [
        (Code.UNASSOCIATED_COMPONENT, "eni-ghost")
    ]


def test_an_interface_talking_to_itself_is_reachable() -> None:
    """Traffic to its own address never leaves the host: no group or ACL applies."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-closed")
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-closed")
    inventory = estate.build()
    result = evaluate(inventory, flow(inventory, "eni-a", "eni-a", "tcp", 443))
    assert result.reachable
    assert any("same interface" in n for n in result.notes)
