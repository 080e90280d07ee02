"""Which known flows rely on a rule, and what removing it does to live connections."""

from __future__ import annotations

from netmend.model import Inventory, NetworkAcl, SgRule
from netmend.playbook.sg.reliance import (
    flows_relying_on,
    inventory_with,
    is_default_egress,
    removal_tracking_warning,
)
from playbook.estate import acl_entry, build_inventory, sg_rule, with_resources

EPHEMERAL_IN = sg_rule(
    "sg-client", 2, protocol="tcp", from_port=1024, to_port=65535, cidr_ipv4="10.0.0.0/16"
)


def _client_with(*rules: SgRule, server_rules: tuple[SgRule, ...] = ()) -> Inventory:
    inventory = build_inventory(server_rules=server_rules, server_groups=("sg-server",))
    client = inventory.security_group("sg-client")
    assert client is not None
    return with_resources(inventory, client.model_copy(update={"rules": rules}))


def test_flow_the_far_end_names_relies_on_the_rule() -> None:
    """The server sends tcp 9000 to the client's subnet by its own rule; only the
    client's inbound 1024-65535 rule admits it: that one flow relies on the rule."""
    inventory = _client_with(
        EPHEMERAL_IN,
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                egress=True,
                protocol="tcp",
                from_port=9000,
                to_port=9000,
                cidr_ipv4="10.0.1.0/24",
            ),
        ),
    )
    (flow,) = flows_relying_on(inventory, EPHEMERAL_IN)
    assert (flow.source.eni_id, flow.destination.eni_id) == ("eni-server", "eni-client")
    assert (flow.protocol, flow.port) == ("tcp", 9000)


def test_default_egress_names_nothing() -> None:
    """AWS's default allow-all egress on the far end asks for no flow in particular."""
    default = sg_rule("sg-server", 1, egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0")
    assert is_default_egress(default)
    inventory = _client_with(EPHEMERAL_IN, server_rules=(default,))
    assert flows_relying_on(inventory, EPHEMERAL_IN) == []


def test_another_rule_admitting_the_flow_means_no_reliance() -> None:
    """When a second client rule (inbound tcp 9000 from the server's subnet) also admits
    the flow, removing the ephemeral rule breaks nothing."""
    inventory = _client_with(
        EPHEMERAL_IN,
        sg_rule(
            "sg-client", 3, protocol="tcp", from_port=9000, to_port=9000, cidr_ipv4="10.0.2.0/24"
        ),
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                egress=True,
                protocol="tcp",
                from_port=9000,
                to_port=9000,
                cidr_ipv4="10.0.1.0/24",
            ),
        ),
    )
    assert flows_relying_on(inventory, EPHEMERAL_IN) == []


def test_outbound_rule_relies_on_the_destination_inbound_rule() -> None:
    """An outbound tcp 443 rule carries client → server 443 when the server admits it."""
    out = sg_rule(
        "sg-client",
        1,
        egress=True,
        protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4="10.0.0.0/16",
    )
    inventory = _client_with(
        out,
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=443,
                to_port=443,
                referenced_group_id="sg-client",
            ),
        ),
    )
    (flow,) = flows_relying_on(inventory, out)
    assert (flow.source.eni_id, flow.destination.eni_id, flow.port) == (
        "eni-client",
        "eni-server",
        443,
    )


def test_tracked_and_untracked_warnings() -> None:
    """A VPC-wide rule is tracked (connections survive); 0.0.0.0/0 inbound with all tcp
    open outbound to 0.0.0.0/0 is untracked (cut at once); a group on no interface
    affects no connection."""
    inventory = _client_with(EPHEMERAL_IN)
    assert removal_tracking_warning(inventory, EPHEMERAL_IN).startswith("tracked:")
    world_in = sg_rule(
        "sg-client", 1, protocol="tcp", from_port=1024, to_port=65535, cidr_ipv4="0.0.0.0/0"
    )
    tcp_out = sg_rule(
        "sg-client",
        2,
        egress=True,
        protocol="tcp",
        from_port=0,
        to_port=65535,
        cidr_ipv4="0.0.0.0/0",
    )
    inventory = _client_with(world_in, tcp_out)
    warning = removal_tracking_warning(inventory, world_in)
    assert warning.startswith("untracked:")
    assert "eni-client" in warning
    spare = sg_rule("sg-spare", 1, protocol="tcp", from_port=22, to_port=22, cidr_ipv4="0.0.0.0/0")
    assert "no interface carries sg-spare" in removal_tracking_warning(inventory, spare)


def test_inventory_with_swaps_states() -> None:
    """inventory_with swaps states and rebuilds the lookups (a replaced ACL is what
    acl_of_subnet answers); no states, the same inventory."""
    inventory = build_inventory()
    acl = inventory.acl_of_subnet("subnet-a")
    assert isinstance(acl, NetworkAcl)
    closed = acl.model_copy(update={"entries": (acl_entry(32767, "deny", egress=False),)})
    swapped = inventory_with(inventory, [closed])
    assert swapped.acl_of_subnet("subnet-a") == closed
    assert inventory_with(inventory, []) is inventory
