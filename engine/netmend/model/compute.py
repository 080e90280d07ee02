"""Network interfaces and the instances they are attached to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Instance", "NetworkInterface"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NetworkInterface(_Frozen):
    network_interface_id: str
    subnet_id: str
    vpc_id: str
    private_ips: tuple[str, ...]  # primary first
    ipv6_addresses: tuple[str, ...] = ()
    public_ip: str | None = None
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


class Instance(_Frozen):
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
