"""Network interfaces and the instances they are attached to."""

from __future__ import annotations

from pydantic import Field

from netmend.model.frozen import FrozenModel

__all__ = ["GROUPLESS_INTERFACE_TYPES", "Instance", "NetworkInterface"]

# Interface types AWS creates for a service; they may carry no security group at all
# (InterfaceType in DescribeNetworkInterfaces). An interface without groups is not
# filtered by groups: "If you don't assign a security group to your Network Load
# Balancer, all client traffic can reach the Network Load Balancer listeners".
GROUPLESS_INTERFACE_TYPES = {
    "network_load_balancer": "a Network Load Balancer without security groups",
    "nat_gateway": "a NAT gateway",
    "transit_gateway": "a transit-gateway attachment",
    "gateway_load_balancer": "a Gateway Load Balancer",
    "gateway_load_balancer_endpoint": "a Gateway Load Balancer endpoint",
    "vpc_endpoint": "a VPC endpoint",
    "api_gateway_managed": "an API Gateway managed interface",
    "aws_codestar_connections_managed": "a CodeStar connections interface",
    "gateway_endpoint": "a gateway endpoint",
    "lambda": "a Lambda interface",
}


class NetworkInterface(FrozenModel):
    network_interface_id: str
    subnet_id: str
    vpc_id: str
    private_ips: tuple[str, ...] = ()  # primary first; none on an IPv6-only interface
    ipv6_addresses: tuple[str, ...] = ()
    public_ip: str | None = None  # the primary private address's public IP
    # Public IPs belong to private addresses: {private: public} for every private
    # address that has one (PrivateIpAddresses[].Association.PublicIp).
    public_ips: dict[str, str] = Field(default_factory=dict)
    # Delegated prefixes (EKS/ECS pods): their addresses are this ENI's.
    ipv4_prefixes: tuple[str, ...] = ()
    ipv6_prefixes: tuple[str, ...] = ()
    availability_zone: str | None = None
    requester_managed: bool = False
    deny_all_igw_traffic: bool = False
    group_ids: tuple[str, ...] = ()
    instance_id: str | None = None
    attachment_status: str | None = None  # attaching / attached / detaching / detached
    device_index: int | None = None
    status: str = "in-use"
    interface_type: str = "interface"
    source_dest_check: bool = True
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def primary_ip(self) -> str:
        return self.private_ips[0] if self.private_ips else ""

    @property
    def filtered_by_groups(self) -> bool:
        """False for a service interface without groups (NLB, NAT gateway, ...)."""
        return bool(self.group_ids)

    @property
    def groups_unknown(self) -> bool:
        """No groups listed on an interface type that always has one (an instance's
        ``interface``, ``efa``, ``trunk``, ...): the describe answer left them out (a
        recording scrubbed of them, say), so what they admit is unknown."""
        return not self.group_ids and self.interface_type not in GROUPLESS_INTERFACE_TYPES

    @property
    def kind_text(self) -> str:
        """What the interface is, in words (``a NAT gateway``)."""
        return GROUPLESS_INTERFACE_TYPES.get(self.interface_type, f"a {self.interface_type}")

    def public_ip_of(self, private_ip: str) -> str | None:
        """The public IP the internet gateway translates ``private_ip`` to, if any."""
        found = self.public_ips.get(private_ip)
        if found is None and private_ip == self.primary_ip:
            return self.public_ip
        return found


class Instance(FrozenModel):
    instance_id: str
    state: str = "running"
    vpc_id: str | None = None
    subnet_id: str | None = None
    private_ip: str | None = None
    public_ip: str | None = None
    network_interface_ids: tuple[str, ...] = ()  # by device index, primary first
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def name(self) -> str | None:
        return self.tags.get("Name")
