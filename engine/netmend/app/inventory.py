"""Saving an estate for offline runs (``netmend inventory save``), for any face.

``save_estate`` writes the inventory file and returns a ``SavedInventory``: its
``model_dump(mode="json")`` is ``inventory save --output json`` (the file, the region and
how many of each resource type it holds).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from netmend.model import Inventory

__all__ = ["InventoryCounts", "SavedInventory", "save_estate"]


class InventoryCounts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    vpcs: int
    subnets: int
    security_groups: int
    security_group_rules: int
    network_acls: int
    route_tables: int
    network_interfaces: int
    instances: int

    @classmethod
    def of(cls, estate: Inventory) -> InventoryCounts:
        return cls(
            vpcs=len(estate.vpcs),
            subnets=len(estate.subnets),
            security_groups=len(estate.security_groups),
            security_group_rules=sum(len(g.rules) for g in estate.security_groups),
            network_acls=len(estate.network_acls),
            route_tables=len(estate.route_tables),
            network_interfaces=len(estate.network_interfaces),
            instances=len(estate.instances),
        )


class SavedInventory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    region: str
    counts: InventoryCounts


def save_estate(estate: Inventory, file: Path) -> SavedInventory:
    """Write ``estate`` to ``file`` (JSON, for ``--inventory FILE``) and say what it holds."""
    from netmend.inventory_file import save_inventory

    path = save_inventory(estate, file)
    return SavedInventory(file=str(path), region=estate.region, counts=InventoryCounts.of(estate))
