"""What an evaluation says: the path hop by hop and, where it is blocked, why.

Explanation codes are Reachability Analyzer's own, so that the offline evaluator and the
AWS service speak one vocabulary (unknown codes from AWS are kept as they come).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from netmend.reach.flow import Flow

__all__ = [
    "Code",
    "Direction",
    "EphemeralCoverage",
    "Evaluation",
    "Explanation",
    "Hop",
    "Leg",
]


class Code(StrEnum):
    """Reachability Analyzer explanation codes the offline evaluator produces."""

    ENI_SG_RULES_MISMATCH = "ENI_SG_RULES_MISMATCH"
    SG_HAS_NO_RULES = "SG_HAS_NO_RULES"
    SUBNET_ACL_RESTRICTION = "SUBNET_ACL_RESTRICTION"
    NO_ROUTE_TO_DESTINATION = "NO_ROUTE_TO_DESTINATION"
    BAD_STATE_ROUTE = "BAD_STATE_ROUTE"
    BAD_STATE = "BAD_STATE"
    BAD_STATE_ATTACHMENT = "BAD_STATE_ATTACHMENT"
    UNASSOCIATED_COMPONENT = "UNASSOCIATED_COMPONENT"
    IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS = "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS"
    IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS = "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"
    PCX_REQUIRES_ADDRESS_IN_VPC_CIDR = "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR"
    # load balancers (reach/balancer/)
    ELBV2_LISTENER_PORT_RESTRICTION = "ELBV2_LISTENER_PORT_RESTRICTION"
    ELBV2_LISTENERS_MISMATCH = "ELBV2_LISTENERS_MISMATCH"
    ELBV2_LISTENER_HAS_NO_TG = "ELBV2_LISTENER_HAS_NO_TG"
    # -- real-account shapes
    UNKNOWN_RESOURCE = "UNKNOWN_RESOURCE"  # a group on the ENI is not in the inventory
    NO_POSSIBLE_DESTINATION = "NO_POSSIBLE_DESTINATION"  # nothing owns the address
    NO_PATH = "NO_PATH"  # the source cannot initiate (egress-only gateway from outside)
    PROTOCOL_RESTRICTION = "PROTOCOL_RESTRICTION"  # NAT gateway: TCP, UDP, ICMP only
    ENI_SOURCE_DEST_CHECK_RESTRICTION = "ENI_SOURCE_DEST_CHECK_RESTRICTION"
    TGW_ROUTE_AZ_RESTRICTION = "TGW_ROUTE_AZ_RESTRICTION"
    # transit-gateway route tables: the sender's attachment has no associated table, no
    # route of it covers the destination, the route is a blackhole, or it leads to an
    # attachment other than the destination VPC's
    TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION = "TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION"
    TGW_RTB_CANNOT_ROUTE = "TGW_RTB_CANNOT_ROUTE"
    TGW_RTB_BAD_STATE_ROUTE = "TGW_RTB_BAD_STATE_ROUTE"
    TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT = "TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT"
    SG_REFERENCING_SUPPORT = "SG_REFERENCING_SUPPORT"
    UNKNOWN_DESTINATION = "UNKNOWN_DESTINATION"  # beyond what the API shows (BGP routes)


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


class Leg(StrEnum):
    FORWARD = "forward"  # client to server
    RETURN = "return"  # server's reply to client


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Explanation(_Frozen):
    """Why a flow stops at one component, in Reachability Analyzer's words."""

    code: str
    component: str  # the id of the component that drops (sg-, acl-, rtb-, ...)
    direction: Direction | None = None
    leg: Leg = Leg.FORWARD
    rules: tuple[str, ...] = ()  # the rule rows involved, as text
    detail: str = ""
    # None: on the flow's own path. Else the load balancer's leg it is on (reach/balancer/),
    # e.g. "target i-0abc tcp/8080" or "health-check i-0abc tcp/8081 from 10.0.1.254".
    segment: str | None = None


class Hop(_Frozen):
    """One component the flow crosses, and whether it passes."""

    component: str
    kind: str  # eni, security-groups, network-acl, route-table, gateway, external
    leg: Leg = Leg.FORWARD
    direction: Direction | None = None
    allowed: bool = True
    detail: str = ""  # the matching rule or route, or why none matched


class EphemeralCoverage(_Frozen):
    """Which part of the client's ephemeral port range an ACL lets back.

    ``allowed`` lists the inclusive port ranges within 1024-65535 that the return path's
    ACL admits; ``summary`` says whose clients fail (Linux 32768-60999, Windows and NLB
    49152-65535, ELB/NAT/Lambda 1024-65535).
    """

    network_acl_id: str
    subnet_id: str
    direction: Direction
    allowed: tuple[tuple[int, int], ...]
    summary: str


class Evaluation(_Frozen):
    flow: Flow
    reachable: bool
    forward: tuple[Hop, ...] = ()
    return_path: tuple[Hop, ...] = ()
    explanations: tuple[Explanation, ...] = ()  # every blocking point, in path order
    ephemeral: tuple[EphemeralCoverage, ...] = ()
    tracked: bool | None = None  # connection tracking (seed 002); None when not reachable
    notes: tuple[str, ...] = ()

    @property
    def blocking(self) -> Explanation | None:
        """The first place the flow is dropped, or None when it is reachable."""
        return self.explanations[0] if self.explanations else None
