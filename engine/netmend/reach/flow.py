"""A flow to evaluate: who talks to whom, over which protocol and port.

SRC and DST are an instance id, an ENI id, or an IPv4/IPv6 address (the private address of
an ENI in the inventory, or an outside address).
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from netmend.errors import BadInputError
from netmend.model import Inventory, NetworkInterface
from netmend.model.balancing import balancer_nodes, find_load_balancer
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP, normalise_protocol
from netmend.reach.addresses import connected_vpcs, owner_near

# ICMP query types whose code is always 0 (RFC 792, RFC 4443): a flow of one of these
# types given without a code is matched as code 0 (reach/packet.py), so the default ping
# (type 8) is 8/0 and a rule for 8/0 admits it.
FIXED_CODE_TYPES = {
    ICMP: frozenset({0, 8, 13, 14, 15, 16, 17, 18}),
    ICMPV6: frozenset({128, 129}),
}

__all__ = [
    "FIXED_CODE_TYPES",
    "Endpoint",
    "EndpointKind",
    "Flow",
    "endpoints_between",
    "make_flow",
    "resolve_endpoint",
]


class EndpointKind(StrEnum):
    ENI = "eni"  # an ENI in the inventory (given as instance, ENI or its IP)
    EXTERNAL = "external"  # an address no ENI in the inventory owns


class Endpoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EndpointKind
    address: str  # the IP the packets carry
    eni_id: str | None = None
    instance_id: str | None = None
    given: str  # what the user typed, for messages
    # Set when the user named a load balancer (ARN, name or DNS name): the evaluator
    # walks through it to its targets (reach/balancer/).
    load_balancer_arn: str | None = None
    # A public IP or Elastic IP the user gave: the internet gateway translates it to
    # ``address`` (this ENI's private address).
    public_address: str | None = None

    @property
    def label(self) -> str:
        if self.load_balancer_arn:
            return f"{self.given} ({self.address})"
        if self.public_address:
            return f"{self.public_address} ({self.eni_id} {self.address})"
        if self.instance_id:
            return f"{self.instance_id} ({self.address})"
        if self.eni_id:
            return f"{self.eni_id} ({self.address})"
        return self.address


class Flow(BaseModel):
    """One direction of a conversation, as the client opens it.

    ``port`` is the destination port for TCP/UDP; ICMP flows use ``icmp_type`` and
    ``icmp_code`` (``None`` code: any). Protocol ``-1`` is "all traffic": it needs every
    protocol and port allowed, and ``port`` is unused.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Endpoint
    destination: Endpoint
    protocol: str
    port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    @model_validator(mode="after")
    def _check(self) -> Flow:
        if self.protocol in (TCP, UDP) and (self.port is None or not 1 <= self.port <= 65535):
            raise ValueError(f"port must be 1-65535 for {self.protocol}, got {self.port}")
        if self.protocol in (ICMP, ICMPV6):
            if self.icmp_type is None or not 0 <= self.icmp_type <= 255:
                raise ValueError("ICMP type must be 0-255")
            if self.icmp_code is not None and not 0 <= self.icmp_code <= 255:
                raise ValueError("ICMP code must be 0-255")
        return self

    @property
    def ipv6(self) -> bool:
        return ":" in self.destination.address

    @property
    def service(self) -> str:
        """``tcp/8443``, ``udp/53``, ``icmp type 8``, ``all traffic``."""
        if self.protocol == ALL:
            return "all traffic"
        if self.protocol in (ICMP, ICMPV6):
            code = "" if self.icmp_code is None else f" code {self.icmp_code}"
            return f"{self.protocol} type {self.icmp_type}{code}"
        if self.port is None:
            return f"protocol {self.protocol}"
        return f"{self.protocol}/{self.port}"


def _from_eni(
    eni: NetworkInterface,
    given: str,
    address: str | None = None,
    public_address: str | None = None,
) -> Endpoint:
    # An IPv6-only interface has no private IPv4 address: it is its first IPv6 one.
    chosen = address or eni.primary_ip or next(iter(eni.ipv6_addresses), "")
    if not chosen:
        raise BadInputError(f"{given}: {eni.network_interface_id} has no IP address")
    return Endpoint(
        kind=EndpointKind.ENI,
        address=chosen,
        eni_id=eni.network_interface_id,
        instance_id=eni.instance_id,
        given=given,
        public_address=public_address,
    )


def endpoints_between(
    source: NetworkInterface, destination: NetworkInterface
) -> tuple[Endpoint, Endpoint] | None:
    """The two ENIs as a flow's ends, by their primary addresses of one family: IPv4
    when both have one, else IPv6 (an IPv6-only interface has no IPv4 address), None
    when they share no family (no packet can go between them)."""
    for family in (4, 6):
        pair = [_first_of_family(e, family) for e in (source, destination)]
        if pair[0] and pair[1]:
            return (
                _from_eni(source, source.network_interface_id, pair[0]),
                _from_eni(destination, destination.network_interface_id, pair[1]),
            )
    return None


def _first_of_family(eni: NetworkInterface, family: int) -> str | None:
    addresses = eni.private_ips if family == 4 else eni.ipv6_addresses
    return next(iter(addresses), None)


def _public(inventory: Inventory, address: str, given: str) -> Endpoint | None:
    """A public IP or EIP of an ENI (or of a NAT gateway), as that ENI's endpoint."""
    owner = inventory.public_owner(address)
    if owner is not None:
        eni, private = owner
        return _from_eni(eni, given, private, public_address=address)
    nat = inventory.nat_gateway_of_public_ip(address)
    if nat is not None:
        nat_eni = next(
            (e for e in (inventory.eni_by_private_ip(p) for p in nat.private_ips) if e), None
        )
        if nat_eni is None:
            raise BadInputError(
                f"{given} is NAT gateway {nat.nat_gateway_id}'s public IP: a NAT gateway "
                "takes in no connection it did not open"
            )
        return _from_eni(nat_eni, given, nat_eni.primary_ip, public_address=address)
    return None


def resolve_endpoint(inventory: Inventory, text: str, *, near: tuple[str, ...] = ()) -> Endpoint:
    """Resolve an instance id, ENI id or IP address against the inventory.

    An address several VPCs use is resolved in ``near``'s VPCs first (the other side's
    VPC and those connected to it; see addresses.py); a public IP or Elastic IP to the
    ENI whose private address it translates to.
    Raises BadInputError (exit 2) for an unknown id or a malformed address.
    """
    value = text.strip()
    if value.startswith("i-"):
        enis = inventory.enis_of_instance(value)
        if inventory.instance(value) is None:
            raise BadInputError(f"unknown instance {value!r} in {inventory.region}")
        if not enis:
            raise BadInputError(f"instance {value} has no network interface")
        return _from_eni(enis[0], value)
    if value.startswith("eni-"):
        eni = inventory.network_interface(value)
        if eni is None:
            raise BadInputError(f"unknown network interface {value!r} in {inventory.region}")
        return _from_eni(eni, value)
    balancer = _load_balancer_endpoint(inventory, value)
    if balancer is not None:
        return balancer
    try:
        address = str(ipaddress.ip_address(value))
    except ValueError:
        raise BadInputError(
            f"{value!r} is neither an instance id (i-...), an ENI id (eni-...) nor an IP address"
        ) from None
    eni = owner_near(inventory.enis_owning(address), near)
    if eni is not None:
        return _from_eni(eni, value, address)
    public = _public(inventory, address, value)
    if public is not None:
        return public
    return Endpoint(kind=EndpointKind.EXTERNAL, address=address, given=value)


def _load_balancer_endpoint(inventory: Inventory, value: str) -> Endpoint | None:
    """A load balancer named by ARN, name or DNS name: its first node stands for it."""
    balancer = find_load_balancer(inventory.load_balancers, value)
    if balancer is None:
        return None
    nodes = balancer_nodes(balancer, inventory.network_interfaces, inventory.subnets)
    if not nodes:
        raise BadInputError(f"load balancer {balancer.name} has no enabled subnet in the inventory")
    node = nodes[0]
    collected = inventory.network_interface(node.network_interface_id) is not None
    return Endpoint(
        kind=EndpointKind.ENI if collected else EndpointKind.EXTERNAL,
        address=node.primary_ip,
        eni_id=node.network_interface_id if collected else None,
        given=value,
        load_balancer_arn=balancer.load_balancer_arn,
    )


def _split_port(inventory: Inventory, destination: str) -> tuple[str, int | None]:
    """``LOAD_BALANCER:PORT`` (a name, DNS name or ARN with a port) into its two parts."""
    value = destination.strip()
    try:
        ipaddress.ip_address(value)
        return destination, None  # an IPv6 address has colons of its own
    except ValueError:
        pass
    head, sep, tail = value.rpartition(":")
    if not (sep and tail.isdigit()) or (head.startswith("arn:") and ":loadbalancer/" not in head):
        return destination, None
    if find_load_balancer(inventory.load_balancers, head) is None:
        raise BadInputError(f"unknown load balancer {head!r} in {inventory.region}")
    return head, int(tail)


def _near(inventory: Inventory, endpoint: Endpoint) -> tuple[str, ...]:
    eni = inventory.network_interface(endpoint.eni_id) if endpoint.eni_id else None
    return connected_vpcs(inventory, eni.vpc_id) if eni is not None else ()


def make_flow(
    inventory: Inventory,
    source: str,
    destination: str,
    *,
    protocol: str = TCP,
    port: int | None = None,
    icmp_type: int | None = None,
    icmp_code: int | None = None,
) -> Flow:
    """Build a validated Flow from user input; BadInputError (exit 2) on anything wrong."""
    try:
        canonical = normalise_protocol(protocol)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    destination, listener_port = _split_port(inventory, destination)
    if listener_port is not None:
        if port is not None and port != listener_port:
            raise BadInputError(f"--port {port} contradicts {destination}:{listener_port}")
        port = listener_port
    if canonical not in (TCP, UDP) and port is not None:
        # As the intents file does: a port on ICMP or all-traffic is a mistake, not noise.
        icmp = (
            " (ICMP flows take --icmp-type and --icmp-code)" if canonical in (ICMP, ICMPV6) else ""
        )
        raise BadInputError(f"--port applies to tcp and udp only, not {canonical}{icmp}")
    if canonical not in (ICMP, ICMPV6) and (icmp_type is not None or icmp_code is not None):
        raise BadInputError(f"--icmp-type and --icmp-code apply to icmp only, not {canonical}")
    if canonical in (TCP, UDP):
        if port is None:
            raise BadInputError(f"--port is required for {canonical}")
        if not 1 <= port <= 65535:
            raise BadInputError(f"port {port} is out of range: use 1-65535")
    if canonical in (ICMP, ICMPV6):
        icmp_type = 8 if icmp_type is None and canonical == ICMP else icmp_type
        icmp_type = 128 if icmp_type is None else icmp_type
        if not 0 <= icmp_type <= 255:
            raise BadInputError(f"ICMP type {icmp_type} is out of range: use 0-255")
        if icmp_code is not None and not 0 <= icmp_code <= 255:
            raise BadInputError(f"ICMP code {icmp_code} is out of range: use 0-255")
        port = None
    # Each side's address is resolved near the other side's VPC (CIDRs overlap across
    # unconnected VPCs): a source given by id anchors the destination, else the reverse.
    src = resolve_endpoint(inventory, source)
    dst = resolve_endpoint(inventory, destination, near=_near(inventory, src))
    if len(inventory.enis_owning(src.address)) > 1 and src.given == src.address:
        src = resolve_endpoint(inventory, source, near=_near(inventory, dst))
    if src.kind is EndpointKind.EXTERNAL and dst.kind is EndpointKind.EXTERNAL:
        raise BadInputError(
            f"neither {source} nor {destination} is in the inventory of {inventory.region}"
        )
    if (":" in src.address) != (":" in dst.address):
        raise BadInputError("source and destination must both be IPv4 or both IPv6")
    return Flow(
        source=src,
        destination=dst,
        protocol=canonical,
        port=port if canonical in (TCP, UDP) else None,
        icmp_type=icmp_type if canonical in (ICMP, ICMPV6) else None,
        icmp_code=icmp_code if canonical in (ICMP, ICMPV6) else None,
    )
