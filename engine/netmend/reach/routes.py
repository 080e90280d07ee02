"""Route-table lookups: which route of a table carries an address.

Longest prefix wins. Prefix-list destinations count with the prefix length of the entry
that contains the address (a list missing from the inventory matches nothing). On equal
length the local route wins, then a CIDR route over a prefix-list route (AWS gives CIDR
routes priority over prefix-list routes of the same length), then a static route over a
propagated one (Origin EnableVgwRoutePropagation) when the static route's target is one
AWS lists: internet gateway, NAT gateway, network interface, instance, gateway VPC
endpoint, transit gateway, VPC peering, Gateway Load Balancer endpoint. Blackhole routes take part
in the lookup like any other: a packet that picks one is dropped there.
"""

from __future__ import annotations

from dataclasses import dataclass

from netmend.model import Inventory, Route, RouteState, RouteTable, RouteTargetKind
from netmend.reach.packet import Address, network_interval

__all__ = ["RouteIndex", "route_text"]


@dataclass(frozen=True, slots=True)
class _Compiled:
    family: int
    first: int
    last: int
    rank: tuple[int, bool, bool, int]  # prefix length, local, by CIDR, static over propagated
    route: Route


def route_text(table_id: str, route: Route) -> str:
    """``rtb-1 0.0.0.0/0 -> igw-1``; blackholes say so."""
    target = route.target_id or route.target_kind.value
    state = " (blackhole)" if route.state is RouteState.BLACKHOLE else ""
    return f"{table_id} {route.destination} -> {target}{state}"


# Static routes to these beat a propagated route of the same destination.
_STATIC_WINS = frozenset(
    {
        RouteTargetKind.INTERNET_GATEWAY,
        RouteTargetKind.NAT_GATEWAY,
        RouteTargetKind.NETWORK_INTERFACE,
        RouteTargetKind.INSTANCE,
        RouteTargetKind.VPC_ENDPOINT,
        RouteTargetKind.TRANSIT_GATEWAY,
        RouteTargetKind.VPC_PEERING,
    }
)


def _origin_rank(route: Route) -> int:
    if route.propagated:
        return 1
    return 2 if route.target_kind in _STATIC_WINS else 0


def _prefix_length(first: int, last: int, family: int) -> int:
    bits = 32 if family == 4 else 128
    return bits - (last - first + 1).bit_length() + 1


class RouteIndex:
    """Route tables of one inventory, parsed on first use."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory
        self._tables: dict[str, tuple[list[_Compiled], tuple[str, ...]]] = {}

    def lookup(self, table: RouteTable, address: Address) -> Route | None:
        """The route of ``table`` that carries ``address``, or None when none covers it."""
        best: _Compiled | None = None
        for compiled in self._compiled(table)[0]:
            if compiled.family != address.family:
                continue
            if not compiled.first <= address.value <= compiled.last:
                continue
            if best is None or compiled.rank > best.rank:
                best = compiled
        return best.route if best else None

    def unknown_prefix_lists(self, table: RouteTable) -> tuple[str, ...]:
        return self._compiled(table)[1]

    def _compiled(self, table: RouteTable) -> tuple[list[_Compiled], tuple[str, ...]]:
        found = self._tables.get(table.route_table_id)
        if found is None:
            found = self._compile(table)
            self._tables[table.route_table_id] = found
        return found

    def _compile(self, table: RouteTable) -> tuple[list[_Compiled], tuple[str, ...]]:
        compiled: list[_Compiled] = []
        unknown: list[str] = []
        for route in table.routes:
            local = route.target_kind is RouteTargetKind.LOCAL
            cidr = route.destination_cidr or route.destination_ipv6_cidr
            if cidr is not None:
                cidrs: tuple[str, ...] = (cidr,)
            else:
                plist = self._inventory.prefix_list(route.destination_prefix_list_id or "")
                if plist is None:
                    unknown.append(route.destination_prefix_list_id or "")
                    continue
                cidrs = tuple(e.cidr for e in plist.entries)
            for each in cidrs:
                family, first, last = network_interval(each)
                rank = (
                    _prefix_length(first, last, family),
                    local,
                    cidr is not None,
                    _origin_rank(route),
                )
                compiled.append(_Compiled(family, first, last, rank, route))
        return compiled, tuple(unknown)
