"""Security groups, their rules (one peer per rule) and managed prefix lists."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from netmend.model.addresses import Cidr
from netmend.model.frozen import FrozenModel
from netmend.model.protocol import ALL, ICMP, ICMPV6, PORTED_PROTOCOLS, normalise_protocol

__all__ = ["ManagedPrefixList", "PrefixListEntry", "SecurityGroup", "SgRule"]


class SgRule(FrozenModel):
    """One security-group rule with exactly one peer, as DescribeSecurityGroupRules has it.

    ``from_port``/``to_port`` are AWS's fields: a port range for TCP/UDP, the ICMP type and
    code for ICMP (-1 meaning any), and ``None`` for protocols without ports.
    """

    group_id: str
    egress: bool
    protocol: str
    from_port: int | None = None
    to_port: int | None = None
    rule_id: str | None = None
    cidr_ipv4: Cidr | None = None
    cidr_ipv6: Cidr | None = None
    referenced_group_id: str | None = None
    referenced_user_id: str | None = None
    referenced_vpc_id: str | None = None
    peering_status: str | None = None
    prefix_list_id: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, value: str | int) -> str:
        return normalise_protocol(value)

    @model_validator(mode="after")
    def _one_peer(self) -> SgRule:
        peers = (
            (self.cidr_ipv4 is not None)
            + (self.cidr_ipv6 is not None)
            + (self.referenced_group_id is not None)
            + (self.prefix_list_id is not None)
        )
        if peers != 1:
            raise ValueError(f"a rule has exactly one peer, got {peers}")
        if self.cidr_ipv4 is not None and ":" in self.cidr_ipv4:
            raise ValueError("cidr_ipv4 holds an IPv6 network")
        if self.cidr_ipv6 is not None and ":" not in self.cidr_ipv6:
            raise ValueError("cidr_ipv6 holds an IPv4 network")
        return self

    @property
    def peer(self) -> str:
        """The peer as AWS prints it: a CIDR, a group id or a prefix-list id."""
        return (
            self.cidr_ipv4
            or self.cidr_ipv6
            or self.referenced_group_id
            or self.prefix_list_id
            or ""
        )

    @property
    def is_self_reference(self) -> bool:
        return self.referenced_group_id == self.group_id

    @property
    def all_ports(self) -> bool:
        """True when the rule admits every port/type of its protocol."""
        if self.protocol == ALL or self.protocol not in PORTED_PROTOCOLS:
            return True
        if self.protocol in (ICMP, ICMPV6):
            return self.from_port in (None, -1)
        return (self.from_port, self.to_port) in ((0, 65535), (None, None), (-1, -1))

    @property
    def ports_text(self) -> str:
        """Ports as an engineer reads them: ``all``, ``443``, ``1024-65535``, ``type 8``."""
        if self.all_ports:
            return "all"
        if self.protocol in (ICMP, ICMPV6):
            code = "" if self.to_port in (None, -1) else f" code {self.to_port}"
            return f"type {self.from_port}{code}"
        if self.from_port == self.to_port:
            return str(self.from_port)
        return f"{self.from_port}-{self.to_port}"


class SecurityGroup(FrozenModel):
    group_id: str
    group_name: str
    vpc_id: str | None = None
    description: str = ""
    owner_id: str | None = None
    rules: tuple[SgRule, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def ingress(self) -> tuple[SgRule, ...]:
        return tuple(r for r in self.rules if not r.egress)

    @property
    def egress(self) -> tuple[SgRule, ...]:
        return tuple(r for r in self.rules if r.egress)

    @property
    def is_default(self) -> bool:
        return self.group_name == "default"

    @property
    def name_tag(self) -> str | None:
        return self.tags.get("Name")


class PrefixListEntry(FrozenModel):
    cidr: Cidr
    description: str | None = None


class ManagedPrefixList(FrozenModel):
    prefix_list_id: str
    prefix_list_name: str
    address_family: str = "IPv4"
    max_entries: int | None = None
    owner_id: str | None = None
    entries: tuple[PrefixListEntry, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def is_aws_managed(self) -> bool:
        return self.owner_id == "AWS"
