"""The offline reachability evaluator: can SRC reach DST on PROTOCOL/PORT, and if not, where?

The path of a flow from ENI A (client) to ENI B (server):

forward  A's instance/ENI state, A's groups (egress), A's subnet ACL (egress), A's route
         table towards B (and the gateway it names), B's subnet ACL (ingress), B's groups
         (ingress), B's instance/ENI state;
return   B's groups (stateful: the reply of an allowed connection always passes), B's
         subnet ACL (egress), B's route table back to A, A's subnet ACL (ingress), A's
         groups (stateful).

Outbound the group comes first, then the ACL; inbound the ACL first, then the group.
Two ENIs in one subnet cross neither ACL nor route table (the route table is not consulted
inside a subnet); ENIs in different subnets, of one VPC or not, cross both. An outside
address has no groups, ACL or route table of its own: from outside, the packet enters the
way the destination's subnet routes the reply (an internet gateway needs a public IP on
the destination, a NAT gateway takes nothing in); to outside, the source's route decides
(see routing.py). The reply to a TCP/UDP flow goes to the client's ephemeral port, so the
ACLs on the return path are walked over 1024-65535 and the result says which part comes
back (EphemeralCoverage). The return path counts as blocked only when *no* port of
1024-65535 passes every ACL on it; when only part does, the flow is reachable and a note
says whose clients fail. ``client_ephemeral=(lo, hi)`` asks for one client's range instead:
then the return path is blocked unless all of it passes.

A flow to a load balancer (its name, DNS name, ARN, or one of its nodes) is walked by
reach/balancer/: client to node (``walk`` below), the listener, then each registered
target and each node's health check, as walks of their own; ``Explanation.segment``
says which.

Every blocking point is reported in path order (the walk goes on after the first), so a
flow blocked by a group and an ACL has two explanations; the flow is reachable when there
are none. Explanation codes are Reachability Analyzer's: a group miss is
ENI_SG_RULES_MISMATCH (SG_HAS_NO_RULES when none of the ENI's groups has a rule in that
direction) with the ENI's first group as component and all its groups in ``rules``; an
ACL drop is SUBNET_ACL_RESTRICTION with the denying entries (or "no rule matched: default
deny 32767") in ``rules``.

Choices worth knowing: an ICMP flow without a code needs every code of its type admitted
(a rule or entry for one code matches only a flow naming it), except the query types whose
code is always 0 (echo 8/0, timestamp 13/14, information 15/16, address mask 17/18,
ICMPv6 echo 128/129), which are matched as code 0; a reachable TCP/UDP flow is
``tracked=False`` when either end is untracked (tracking.py), and always tracked through a
NAT or transit gateway; an ENI talking to itself is reachable (no group or ACL applies).

Real accounts (issue 9):

- an interface without groups (an NLB without groups, a NAT gateway, a transit-gateway
  attachment, a GWLB endpoint: ``Groups: []``) is not filtered by security groups; a
  group on an ENI that the inventory lacks, or an instance's interface listed without
  any group (AWS gives it at least one), makes the verdict unknown (UNKNOWN_RESOURCE,
  never SG_HAS_NO_RULES), and no root cause ever names an ENI as a group;
- addresses resolve in the other side's VPC first, then its peered and transit-attached
  VPCs (flow.py, addresses.py); a delegated prefix is its ENI's; an address inside a VPC's
  CIDR that no interface owns answers nothing (NO_POSSIBLE_DESTINATION) and sends nothing
  (NO_PATH), except the DNS resolver (base + 2) and a VPC whose interfaces were skipped
  at collection (judged by address, with a note);
- public IPs belong to private addresses (the ENI's per-address associations and
  DescribeAddresses): the internet gateway lets a private address out, or translates a
  public IP or EIP in, only when that address has one; a NAT gateway's interface takes
  in nothing unsolicited (NO_POSSIBLE_DESTINATION); a flow from inside to a public IP is a
  hairpin (hairpin.py): it leaves by the source's own route and comes back from the
  address it left with, so references to the source's group do not match it;
- gateways (routing.py, gateways.py, nat.py): egress-only gateways let IPv6 out and
  nothing in (NO_PATH); a NAT gateway carries TCP, UDP and ICMP only
  (PROTOCOL_RESTRICTION), its subnet's ACL is crossed both ways, a public one may send
  on through a transit or virtual private gateway, a private one never reaches the
  internet; an interface with DenyAllIgwTraffic takes nothing in from an internet
  gateway; an appliance route needs the ENI's source/destination check off
  (ENI_SOURCE_DEST_CHECK_RESTRICTION); a transit gateway needs an attachment subnet in
  the sender's AZ (TGW_ROUTE_AZ_RESTRICTION) and, when its route tables were collected,
  a route in the sender's attachment's table to the destination VPC's attachment
  (TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION, TGW_RTB_CANNOT_ROUTE, TGW_RTB_BAD_STATE_ROUTE,
  TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT); group references across a transit gateway
  match only inbound with referencing on the gateway and both attachments
  (SG_REFERENCING_SUPPORT), across peering they match; a VGW with static VPN routing
  forwards only its static routes, with BGP the path leaves what the API shows
  (UNKNOWN_DESTINATION); a static route beats a propagated one of the same prefix;
- describe items the collector could not read are named in a note when the flow touches
  their VPC, subnet or groups.

Speed: rules are indexed once per group and direction and composed per set of groups
(index.py), ACLs and route tables parsed once, all per Evaluator and only when a flow
first needs them (constructing an Evaluator reads nothing); group and ACL verdicts are
kept by address class, hops and explanations shared between evaluations (trace.py);
``evaluate`` keeps the Evaluators of the last few inventories it saw, so repeated calls on
one inventory reuse the indexes. ``Evaluator.verdicts`` (batch.py) shares the work
between many flows of one batch.

Left out, and why:

- what lies beyond a gateway netmend cannot see: on-premises networks behind a VGW (a
  static VPN route is taken to deliver) or a transit gateway's VPN, Direct Connect and
  peering attachments, another account's or region's VPC (a peer VPC not in the
  inventory is judged by the peering's CIDRs alone): the API describes none of them.
- a transit gateway whose route tables were not collected (another account's, or an
  inventory saved before they were read) is taken to route between its available VPC
  attachments, with a note; appliance mode (ApplianceModeSupport) is read, not used:
  it keeps both directions of a flow on one attachment interface for a stateful
  appliance beyond it, whose state netmend does not see.
- what an appliance does with a packet it forwards (firewall rules, its own routes):
  the route to it is checked (source/destination check), not the appliance, whose
  configuration lives outside the EC2 API.
- gateway VPC endpoints' policies and prefix-list routes to them, interface endpoints'
  policies, Network Firewall, VPC Block Public Access: read where the API gives them,
  not evaluated (route targets other than those above are assumed to deliver, with a
  note), since their rules are other services' (IAM policy, Network Firewall rule groups).
- the internet gateway's own address checks (it drops private RFC 1918/6598
  destinations and spoofed sources): not modelled yet; a route to an internet gateway
  is taken to reach whatever address it covers, so a private range routed there is
  judged as the internet (a misconfiguration netmend does not flag).
- a subnet, ACL or route table missing from the inventory does not crash the walk: a
  missing subnet is UNASSOCIATED_COMPONENT, a missing ACL is skipped with a note, a
  missing route table leaves the VPC's local route only.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Iterable

from netmend.model import (
    Instance,
    Inventory,
    NatGateway,
    NetworkInterface,
    Route,
    RouteTargetKind,
)
from netmend.model.protocol import TCP, UDP
from netmend.reach.acl import AclVerdict, CompiledAcl, walk
from netmend.reach.balancer import Balancers
from netmend.reach.batch import Verdict, flow_verdicts
from netmend.reach.ephemeral import ANY_CLIENT, coverage, return_blocks, summary
from netmend.reach.flow import EndpointKind, Flow
from netmend.reach.hairpin import hairpin
from netmend.reach.index import RuleIndex
from netmend.reach.intervals import Interval, IntervalSet, covers, intersect, intersect_sets, text
from netmend.reach.nat import nat_forward, nat_return
from netmend.reach.packet import (
    Address,
    Packet,
    forward_packet,
    keys_text,
    reply_packet,
)
from netmend.reach.result import Code, Direction, Evaluation, Leg
from netmend.reach.routes import RouteIndex
from netmend.reach.routing import Router, eni_address
from netmend.reach.sg import SgVerdict, check_groups
from netmend.reach.trace import Trace
from netmend.reach.tracking import side_untracked

__all__ = ["Evaluator", "evaluate", "evaluator_for"]

_RUNNING = "running"
_DETACHED = frozenset({"detached", "detaching"})
_CACHE_SIZE = 4


def _detached(eni: NetworkInterface) -> bool:
    """An interface attached to nothing (available, or detaching/detached)."""
    return eni.status == "available" or (eni.attachment_status or "") in _DETACHED


def _direction(egress: bool) -> Direction:
    return Direction.EGRESS if egress else Direction.INGRESS


class Evaluator:
    """Evaluates flows over one inventory, indexing its rules on first use."""

    def __init__(self, inventory: Inventory) -> None:
        # Nothing here reads the whole estate: construction is constant time, and every
        # table (rules, ACLs, routes, load balancers) is built when a flow first needs
        # it, so the first evaluation after loading costs about what a warm one does.
        self.inventory = inventory
        self.rules = RuleIndex(inventory)
        self._router = Router(inventory, RouteIndex(inventory))
        self._acl_of_subnet: dict[str, tuple[str, CompiledAcl] | None] = {}
        self._state_ok: dict[str, bool] = {}
        # The inventory's lookups read a private attribute each time (slow in pydantic):
        # what a flow asks is asked again by the next flows, so it is kept here.
        self._interfaces: dict[str, NetworkInterface | None] = {}
        self._subnets: dict[str, bool] = {}
        self._routes: dict[tuple[str, str, Address], Route | None] = {}
        self._return_blocked: dict[tuple[object, ...], bool] = {}
        self._untracked: dict[tuple[tuple[str, ...], bool, int, str, frozenset[int]], bool] = {}
        self._balancers: Balancers | None = None

    @property
    def balancers(self) -> Balancers:
        """The inventory's load balancers and their nodes, gathered on first use."""
        if self._balancers is None:
            self._balancers = Balancers(self.inventory)
        return self._balancers

    def verdicts(
        self, flows: Iterable[Flow], *, client_ephemeral: Interval | None = None
    ) -> list[Verdict]:
        """Every flow's verdict, sharing the work between flows (batch.py)."""
        return flow_verdicts(self, flows, client_ephemeral=client_ephemeral)

    def interface(self, eni_id: str) -> NetworkInterface | None:
        """The inventory's ENI of that id (None: not in the inventory)."""
        try:
            return self._interfaces[eni_id]
        except KeyError:
            found = self._interfaces[eni_id] = self.inventory.network_interface(eni_id)
            return found

    def _subnet_known(self, subnet_id: str) -> bool:
        found = self._subnets.get(subnet_id)
        if found is None:
            found = self._subnets[subnet_id] = self.inventory.subnet(subnet_id) is not None
        return found

    def state_ok(self, eni: NetworkInterface) -> bool:
        """Whether ``_state`` lets ``eni`` through (subnet known, running, attached)."""
        found = self._state_ok.get(eni.network_interface_id)
        if found is None:
            found = (
                self._subnet_known(eni.subnet_id)
                and self._stopped_instance(eni) is None
                and not _detached(eni)
            )
            self._state_ok[eni.network_interface_id] = found
        return found

    def _stopped_instance(self, eni: NetworkInterface) -> Instance | None:
        """``eni``'s instance when it is in the inventory and not running."""
        instance = self.inventory.instance(eni.instance_id) if eni.instance_id else None
        return instance if instance is not None and instance.state != _RUNNING else None

    def route_toward(self, eni: NetworkInterface, address: Address) -> Route | None:
        """The route ``eni``'s subnet takes towards ``address`` (nothing recorded)."""
        key = (eni.subnet_id, eni.vpc_id, address)
        try:
            return self._routes[key]
        except KeyError:
            found = self._routes[key] = self._router.route_kind(eni, address)
            return found

    def return_blocked(
        self, verdicts: tuple[AclVerdict, ...], wanted: Interval, *, ported: bool, whole_range: bool
    ) -> bool:
        """Whether any ACL of a return path with these verdicts blocks the reply."""
        key = (verdicts, wanted, ported, whole_range)
        found = self._return_blocked.get(key)
        if found is None:
            blocks = return_blocks(list(verdicts), wanted, ported=ported, whole_range=whole_range)
            found = self._return_blocked[key] = any(blocks)
        return found

    def compiled_acl(self, subnet_id: str) -> tuple[str, CompiledAcl] | None:
        """The subnet's ACL (id, compiled), or None when the inventory has none for it."""
        if subnet_id not in self._acl_of_subnet:
            acl = self.inventory.acl_of_subnet(subnet_id)
            self._acl_of_subnet[subnet_id] = (
                (acl.network_acl_id, CompiledAcl(acl)) if acl is not None else None
            )
        return self._acl_of_subnet[subnet_id]

    def evaluate(self, flow: Flow, *, client_ephemeral: Interval | None = None) -> Evaluation:
        """Walk ``flow``'s forward and return path; see the module docstring."""
        # A load balancer on the way is a hop of its own (listener, then its targets).
        balancer = self.balancers.of_destination(flow)
        if balancer is not None:
            return self.balancers.evaluate(self, flow, balancer, client_ephemeral=client_ephemeral)
        trace = Trace()
        src, src_ok = self._endpoint(flow, source=True, trace=trace)
        dst, dst_ok = self._endpoint(flow, source=False, trace=trace)
        if not (src_ok and dst_ok) or (src is None and dst is None):
            if src is None and dst is None and src_ok and dst_ok:
                trace.block(
                    Code.UNASSOCIATED_COMPONENT,
                    flow.destination.address,
                    leg=Leg.FORWARD,
                    detail="neither end is in the inventory",
                )
            return self._result(flow, trace, tracked=None)
        if (
            src is not None
            and dst is not None
            and (src.network_interface_id == dst.network_interface_id)
        ):
            self._state(trace, src)
            trace.note(
                "source and destination are the same interface: the traffic never "
                "leaves the host, so no group, ACL or route applies"
            )
            return self._result(flow, trace, tracked=True)
        return self.walk(trace, flow, src, dst, client_ephemeral=client_ephemeral)

    def walk(
        self,
        trace: Trace,
        flow: Flow,
        src: NetworkInterface | None,
        dst: NetworkInterface | None,
        *,
        client_ephemeral: Interval | None = None,
    ) -> Evaluation:
        """The forward and return path between two resolved ends (None: outside), written
        into ``trace``; the Evaluation of what ``trace`` then holds.

        ``evaluate`` resolves the ends from the flow; the load-balancer hop
        (reach/balancer/) calls this for each leg, with its nodes as one end.
        """
        # -- skipped items, hairpins, NAT gateways, references across a TGW
        self._skipped_notes(trace, src, dst)
        if src is not None and flow.destination.public_address and dst is not None:
            return self._hairpin(flow, src, client_ephemeral=client_ephemeral, trace=trace)
        if dst is not None and dst.interface_type == "nat_gateway":
            detail = (
                f"{dst.network_interface_id} is a NAT gateway's interface: a NAT gateway "
                "takes in no connection it did not open"
            )
            trace.drop(
                Code.NO_POSSIBLE_DESTINATION,
                dst.network_interface_id,
                "eni",
                leg=Leg.FORWARD,
                detail=detail,
            )
            return self._result(flow, trace, tracked=None)
        unmatched = (
            self._router.references_across(src, dst)
            if src is not None and dst is not None
            else None
        )
        crosses_tgw = src is not None and dst is not None and self._via_tgw(src, dst)

        packet = forward_packet(flow)
        crosses = not (src is not None and dst is not None and src.subnet_id == dst.subnet_id)
        src_sg = dst_sg = None
        via: RouteTargetKind | None = None
        nat: NatGateway | None = None
        # forward leg
        if src is not None:
            self._state(trace, src)
            src_sg = self._groups(
                trace,
                src,
                packet,
                egress=True,
                peer=dst,
                unmatched="outbound" if crosses_tgw else None,
            )
            if crosses:
                self._acl_forward(trace, src, packet, egress=True)
                via = self._router.toward(
                    trace,
                    Leg.FORWARD,
                    src,
                    packet.destination,
                    dst,
                    own=flow.source.address,
                    protocol=flow.protocol,
                )
                if via is RouteTargetKind.NAT_GATEWAY and dst is None:
                    nat = self._nat_forward(trace, src, packet)
            else:
                trace.hop(
                    Leg.FORWARD,
                    src.subnet_id,
                    "subnet",
                    detail="same subnet: no network ACL or route table is crossed",
                )
        else:
            trace.hop(Leg.FORWARD, flow.source.address, "external")
            if dst is not None:
                self._router.entering(trace, dst, packet.source, own=flow.destination.address)
        if dst is not None:
            if crosses:
                self._acl_forward(trace, dst, packet, egress=False)
            dst_sg = self._groups(trace, dst, packet, egress=False, peer=src, unmatched=unmatched)
            self._state(trace, dst)
        else:
            trace.hop(Leg.FORWARD, flow.destination.address, "external")
        # return leg
        self._return(
            trace,
            flow,
            src=src,
            dst=dst,
            crosses=crosses,
            client_ephemeral=client_ephemeral,
            nat=nat,
        )

        tracked: bool | None = None
        if not trace.explanations:
            sides = ((dst, dst_sg, False), (src, src_sg, True))
            tracked = self._tracked(trace, flow, packet, sides=sides, via=via)
        return self._result(flow, trace, tracked=tracked)

    # -- pieces of the path --------------------------------------------------------------

    def _endpoint(
        self, flow: Flow, *, source: bool, trace: Trace
    ) -> tuple[NetworkInterface | None, bool]:
        """(the endpoint's ENI or None when outside, whether the walk can go on)."""
        endpoint = flow.source if source else flow.destination
        if endpoint.kind is EndpointKind.EXTERNAL:
            return None, True
        eni = self.interface(endpoint.eni_id or "")
        if eni is None:
            trace.block(
                Code.UNASSOCIATED_COMPONENT,
                endpoint.eni_id or endpoint.address,
                leg=Leg.FORWARD,
                detail=f"{endpoint.label} is not in the inventory of {self.inventory.region}",
            )
            return None, False
        return eni, True

    def _state(self, trace: Trace, eni: NetworkInterface) -> None:
        eni_id = eni.network_interface_id
        if not self._subnet_known(eni.subnet_id):
            trace.block(
                Code.UNASSOCIATED_COMPONENT,
                eni.subnet_id,
                leg=Leg.FORWARD,
                detail=f"{eni_id}'s subnet {eni.subnet_id} is not in the inventory",
            )
        instance = self._stopped_instance(eni)
        if instance is not None:
            trace.hop(
                Leg.FORWARD,
                instance.instance_id,
                "instance",
                allowed=False,
                detail=f"{instance.instance_id} is {instance.state}",
            )
            trace.block(
                Code.BAD_STATE,
                instance.instance_id,
                leg=Leg.FORWARD,
                detail=f"instance {instance.instance_id} is {instance.state}, not running",
            )
        if _detached(eni):
            state = eni.attachment_status or eni.status
            trace.hop(Leg.FORWARD, eni_id, "eni", allowed=False, detail=f"{eni_id} is {state}")
            trace.block(
                Code.BAD_STATE_ATTACHMENT,
                eni_id,
                leg=Leg.FORWARD,
                detail=f"{eni_id} is {state}: it is attached to nothing",
            )
            return
        trace.hop(
            Leg.FORWARD, eni_id, "eni", detail=f"{eni.primary_ip or eni_id} in {eni.subnet_id}"
        )

    def _groups(
        self,
        trace: Trace,
        eni: NetworkInterface,
        packet: Packet,
        *,
        egress: bool,
        peer: NetworkInterface | None,
        unmatched: str | None = None,
    ) -> SgVerdict:
        """``unmatched``: why references to the peer's groups do not match here (a
        transit gateway or attachment without referencing support, or "outbound")."""
        table = self.rules.rules(eni.group_ids, egress=egress)
        peer_groups = peer.group_ids if peer is not None and unmatched is None else ()
        verdict = check_groups(table, packet, peer_groups)
        direction = _direction(egress)
        # -- service interfaces without groups; groups missing from inventory
        if eni.groups_unknown:
            detail = (
                f"{eni.network_interface_id} is an {eni.interface_type} interface with no "
                "security group listed, but AWS gives every such interface at least one: "
                f"whether {direction.value} {_service(packet)} is admitted is unknown"
            )
            trace.drop(
                Code.UNKNOWN_RESOURCE,
                eni.network_interface_id,
                "security-groups",
                leg=Leg.FORWARD,
                direction=direction,
                detail=detail,
            )
            return SgVerdict(allowed=False, admitting=(), table=table, notes=())
        if not eni.filtered_by_groups:
            # NLB without groups, NAT gateway, TGW attachment, GWLB endpoint: Groups: [].
            said = f"{eni.network_interface_id} is {eni.kind_text}: not filtered by security groups"
            trace.hop(
                Leg.FORWARD,
                eni.network_interface_id,
                "security-groups",
                direction=direction,
                detail=said,
            )
            trace.note(said)
            return SgVerdict(allowed=True, admitting=(), table=table, notes=())
        for note in verdict.notes:
            trace.note(note)
        if not verdict.allowed and table.missing_group_ids:
            missing = table.missing_group_ids[0]
            detail = (
                f"{', '.join(table.missing_group_ids)} on {eni.network_interface_id} "
                f"{'is' if len(table.missing_group_ids) == 1 else 'are'} not in the "
                f"inventory: whether {direction.value} {_service(packet)} is admitted is unknown"
            )
            trace.drop(
                Code.UNKNOWN_RESOURCE,
                missing,
                "security-groups",
                leg=Leg.FORWARD,
                direction=direction,
                rules=tuple(eni.group_ids),
                detail=detail,
            )
            return verdict
        if (
            not verdict.allowed
            and unmatched is not None
            and peer is not None
            and check_groups(table, packet, peer.group_ids).allowed
        ):
            self._referencing_block(trace, eni, direction, unmatched)
            return verdict
        if verdict.allowed:
            trace.hop(
                Leg.FORWARD,
                verdict.admitting[0].group_id,
                "security-groups",
                direction=direction,
                detail=verdict.admitted_text,
            )
            return verdict
        component = eni.group_ids[0] if eni.group_ids else eni.network_interface_id
        code = Code.SG_HAS_NO_RULES if verdict.no_rules else Code.ENI_SG_RULES_MISMATCH
        groups = ", ".join(eni.group_ids) or "no group"
        if verdict.no_rules:
            verb = "has" if len(eni.group_ids) == 1 else "have"
            detail = f"{groups} {verb} no {direction.value} rules at all"
        else:
            other = _address_text(packet.destination if egress else packet.source)
            partly = " (only part of it)" if verdict.admitting else ""
            detail = (
                f"no {direction.value} rule of {groups} admits {_service(packet)} "
                f"{'to' if egress else 'from'} {other}{partly}"
            )
        trace.drop(
            code,
            component,
            "security-groups",
            leg=Leg.FORWARD,
            direction=direction,
            rules=tuple(eni.group_ids),
            detail=detail,
        )
        return verdict

    def _acl_walk(
        self, trace: Trace, eni: NetworkInterface, packet: Packet, *, egress: bool
    ) -> tuple[str, AclVerdict] | None:
        return self._subnet_acl_walk(trace, eni.subnet_id, packet, egress)

    def _subnet_acl_walk(
        self, trace: Trace, subnet_id: str, packet: Packet, egress: bool
    ) -> tuple[str, AclVerdict] | None:
        found = self.compiled_acl(subnet_id)
        if found is None:
            trace.note(f"no network ACL is known for {subnet_id}: it was not checked")
            return None
        acl_id, compiled = found
        return acl_id, walk(compiled, packet, egress=egress)

    # -- real-account steps

    def _skipped_notes(
        self, trace: Trace, src: NetworkInterface | None, dst: NetworkInterface | None
    ) -> None:
        ids = [
            i
            for eni in (src, dst)
            if eni is not None
            for i in (eni.vpc_id, eni.subnet_id, eni.network_interface_id, *eni.group_ids)
        ]
        for item in self.inventory.skipped_touching(*ids):
            trace.note(f"the inventory is incomplete here: {item.text}")

    def _hairpin(
        self,
        flow: Flow,
        src: NetworkInterface,
        *,
        client_ephemeral: Interval | None,
        trace: Trace,
    ) -> Evaluation:
        found = hairpin(
            self.inventory,
            self._router,
            src,
            flow,
            lambda f: self.evaluate(f, client_ephemeral=client_ephemeral),
        )
        if not trace.notes:
            return found
        return found.model_copy(
            update={"notes": tuple(dict.fromkeys(trace.notes + list(found.notes)))}
        )

    def _via_tgw(self, src: NetworkInterface, dst: NetworkInterface) -> bool:
        address = eni_address(dst)
        if src.vpc_id == dst.vpc_id or address is None:
            return False
        route = self._router.route_kind(src, address)
        return route is not None and route.target_kind is RouteTargetKind.TRANSIT_GATEWAY

    @staticmethod
    def _referencing_block(
        trace: Trace, eni: NetworkInterface, direction: Direction, unmatched: str
    ) -> None:
        if unmatched == "outbound":
            detail = (
                f"an outbound rule of {', '.join(eni.group_ids)} references the peer's group "
                "across a transit gateway: AWS does not support outbound references over "
                "a transit gateway, so it matches nothing"
            )
            component = eni.group_ids[0]
        else:
            detail = (
                f"an inbound rule of {', '.join(eni.group_ids)} references the peer's group, "
                f"but {unmatched} has security-group referencing off: references across a "
                "transit gateway match only when the gateway and both VPC attachments "
                "enable it"
            )
            component = unmatched
        trace.drop(
            Code.SG_REFERENCING_SUPPORT,
            component,
            "security-groups",
            leg=Leg.FORWARD,
            direction=direction,
            rules=tuple(eni.group_ids),
            detail=detail,
        )

    def _nat_of_route(self, src: NetworkInterface, packet: Packet) -> NatGateway | None:
        route = self._router.route_kind(src, packet.destination)
        nat = self.inventory.get(route.target_id or "") if route is not None else None
        return nat if isinstance(nat, NatGateway) else None

    def _nat_forward(
        self, trace: Trace, src: NetworkInterface, packet: Packet
    ) -> NatGateway | None:
        nat = self._nat_of_route(src, packet)
        if nat is not None:
            nat_forward(trace, self._subnet_acl_walk, nat, src, packet)
        return nat

    def _nat_return(
        self, trace: Trace, nat: NatGateway, src: NetworkInterface, reply: Packet
    ) -> None:
        nat_return(trace, self._subnet_acl_walk, nat, src, reply)

    def _acl_forward(
        self, trace: Trace, eni: NetworkInterface, packet: Packet, *, egress: bool
    ) -> None:
        found = self._acl_walk(trace, eni, packet, egress=egress)
        if found is None:
            return
        acl_id, verdict = found
        direction = _direction(egress)
        other = packet.destination if egress else packet.source
        if verdict.complete:
            trace.hop(
                Leg.FORWARD, acl_id, "network-acl", direction=direction, detail=verdict.allowing[0]
            )
            return
        trace.hop(
            Leg.FORWARD,
            acl_id,
            "network-acl",
            direction=direction,
            allowed=False,
            detail=verdict.denying[0],
        )
        trace.block(
            Code.SUBNET_ACL_RESTRICTION,
            acl_id,
            leg=Leg.FORWARD,
            direction=direction,
            rules=verdict.denying,
            detail=f"{acl_id} ({eni.subnet_id}) drops {_service(packet)} "
            f"{'to' if egress else 'from'} {_address_text(other)}",
        )

    def _return(
        self,
        trace: Trace,
        flow: Flow,
        *,
        src: NetworkInterface | None,
        dst: NetworkInterface | None,
        crosses: bool,
        client_ephemeral: Interval | None,
        nat: NatGateway | None = None,
    ) -> None:
        wanted = client_ephemeral or ANY_CLIENT
        walked = (min(wanted[0], ANY_CLIENT[0]), max(wanted[1], ANY_CLIENT[1]))
        reply = reply_packet(flow, walked)
        self._stateful_hop(trace, dst, flow.destination.address, egress=True)
        if reply is None:
            trace.note(f"{flow.service} gets no reply: the return path was not checked")
            self._stateful_hop(trace, src, flow.source.address, egress=False)
            return
        ported = flow.protocol in (TCP, UDP)
        # Walk both ACLs first: whether the client's blocks depends on what the server's
        # let by. Then record them in path order, with the route back in between.
        server = self._acl_walk(trace, dst, reply, egress=True) if dst and crosses else None
        client = self._acl_walk(trace, src, reply, egress=False) if src and crosses else None
        verdicts = [found[1] for found in (server, client) if found is not None]
        blocked = iter(
            return_blocks(verdicts, wanted, ported=ported, whole_range=client_ephemeral is None)
        )
        if server is not None and dst is not None:
            self._acl_return_hop(
                trace,
                dst,
                egress=True,
                found=server,
                blocked=next(blocked),
                reply=reply,
                wanted=wanted,
                whole_range=client_ephemeral is None,
            )
        if dst is not None and crosses:
            self._router.toward(trace, Leg.RETURN, dst, reply.destination, src)
        if nat is not None and src is not None:
            self._nat_return(trace, nat, src, reply)
        if client is not None and src is not None:
            self._acl_return_hop(
                trace,
                src,
                egress=False,
                found=client,
                blocked=next(blocked),
                reply=reply,
                wanted=wanted,
                whole_range=client_ephemeral is None,
            )
        self._stateful_hop(trace, src, flow.source.address, egress=False)
        if ported and verdicts and not trace.explanations:
            surviving: IntervalSet = (ANY_CLIENT,)
            for verdict in verdicts:
                surviving = intersect_sets(surviving, verdict.admitted)
            if not covers(surviving, ANY_CLIENT):
                trace.note(f"return path: {summary(surviving)}")

    @staticmethod
    def _stateful_hop(
        trace: Trace, eni: NetworkInterface | None, address: str, *, egress: bool
    ) -> None:
        if eni is None:
            trace.hop(Leg.RETURN, address, "external")
            return
        trace.hop(
            Leg.RETURN,
            eni.group_ids[0] if eni.group_ids else eni.network_interface_id,
            "security-groups",
            direction=_direction(egress),
            detail="stateful: the reply of an allowed connection passes"
            if eni.filtered_by_groups
            else "not filtered by security groups",
        )

    def _acl_return_hop(
        self,
        trace: Trace,
        eni: NetworkInterface,
        *,
        egress: bool,
        found: tuple[str, AclVerdict],
        blocked: bool,
        reply: Packet,
        wanted: Interval,
        whole_range: bool,
    ) -> None:
        acl_id, verdict = found
        direction = _direction(egress)
        ported = reply.protocol in (TCP, UDP)
        if ported:
            trace.ephemeral.append(coverage(acl_id, eni.subnet_id, direction, verdict.admitted))
            said = (
                f"replies to {text((wanted,))}: "
                f"{text(intersect(verdict.admitted, wanted))} admitted"
            )
        else:
            said = verdict.allowing[0] if verdict.complete else verdict.denying[0]
        trace.hop(
            Leg.RETURN, acl_id, "network-acl", direction=direction, allowed=not blocked, detail=said
        )
        if not blocked:
            return
        if ported and intersect(verdict.admitted, wanted):
            admitted = text(intersect(verdict.admitted, wanted))
            reason = (
                f"{acl_id} ({eni.subnet_id}) admits {admitted} of the reply ports "
                f"{text((wanted,))}, none of which the rest of the return path admits"
                if whole_range
                else f"{acl_id} ({eni.subnet_id}) admits only {admitted} of the client's "
                f"ports {text((wanted,))}"
            )
        else:
            reason = f"{acl_id} ({eni.subnet_id}) drops the reply ({_service(reply)})"
        trace.block(
            Code.SUBNET_ACL_RESTRICTION,
            acl_id,
            leg=Leg.RETURN,
            direction=direction,
            rules=verdict.denying,
            detail=reason,
        )

    def _tracked(
        self,
        trace: Trace,
        flow: Flow,
        packet: Packet,
        *,
        sides: tuple[tuple[NetworkInterface | None, SgVerdict | None, bool], ...],
        via: RouteTargetKind | None,
    ) -> bool:
        if flow.protocol not in (TCP, UDP):
            return True
        if via in (RouteTargetKind.NAT_GATEWAY, RouteTargetKind.TRANSIT_GATEWAY):
            trace.note(f"the flow passes a {via.value if via else ''}, which always tracks it")
            return True
        untracked: list[str] = []
        for eni, verdict, egress in sides:
            if eni is None or verdict is None:
                continue
            if self._side_untracked(
                eni, verdict, egress=egress, family=packet.family, protocol=flow.protocol
            ):
                untracked.append(eni.network_interface_id)
        for eni_id in untracked:
            trace.note(
                f"untracked at {eni_id}: a whole-address-space rule admits it and the "
                "opposite direction is open to all; removing the rule cuts existing "
                "connections at once"
            )
        return not untracked

    def _side_untracked(
        self, eni: NetworkInterface, verdict: SgVerdict, *, egress: bool, family: int, protocol: str
    ) -> bool:
        admitting = frozenset(id(rule) for rule in verdict.admitting)
        key = (eni.group_ids, egress, family, protocol, admitting)
        found = self._untracked.get(key)
        if found is None:
            groups = self.inventory.groups_of_eni(eni.network_interface_id)
            found = side_untracked(
                groups, verdict.admitting, egress=egress, family=family, protocol=protocol
            )
            self._untracked[key] = found
        return found

    def _result(self, flow: Flow, trace: Trace, *, tracked: bool | None) -> Evaluation:
        return Evaluation(
            flow=flow,
            reachable=not trace.explanations,
            forward=tuple(trace.forward),
            return_path=tuple(trace.return_path),
            explanations=tuple(trace.explanations),
            ephemeral=tuple(trace.ephemeral),
            tracked=tracked if not trace.explanations else None,
            notes=tuple(trace.notes),
        )


def _address_text(address: Address) -> str:
    if address.family == 4:
        return str(ipaddress.IPv4Address(address.value))
    return str(ipaddress.IPv6Address(address.value))


def _service(packet: Packet) -> str:
    return keys_text(packet.protocol, packet.keys)


_cache: OrderedDict[int, Evaluator] = OrderedDict()
_cache_lock = threading.Lock()


def evaluator_for(inventory: Inventory) -> Evaluator:
    """The Evaluator of ``inventory``, reused across calls (the last few inventories)."""
    with _cache_lock:
        found = _cache.get(id(inventory))
        if found is not None and found.inventory is inventory:
            _cache.move_to_end(id(inventory))
            return found
        evaluator = Evaluator(inventory)
        _cache[id(inventory)] = evaluator
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return evaluator


def evaluate(
    inventory: Inventory, flow: Flow, *, client_ephemeral: Interval | None = None
) -> Evaluation:
    """Can ``flow`` get through ``inventory``'s groups, ACLs and routes, and back?

    ``client_ephemeral`` (optional): the client's ephemeral port range; by default the
    return path must let back some part of 1024-65535 (see the module docstring).
    """
    return evaluator_for(inventory).evaluate(flow, client_ephemeral=client_ephemeral)
