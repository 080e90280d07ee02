"""A root cause of a blocked flow: what kind it is, on what, and the facts a fix needs.

The kind is a plain string id (``"wrong-port"``): the id of the built-in ``scope: flow``
playbook that fixes it (playbooks/<id>.yaml). The playbook package owns that list
(``netmend.playbook.root_causes``); this pure classifier only names the kinds it finds.

Root causes are ordered by where on the path they block. ``PathPosition`` numbers the
places a flow can be dropped: the forward leg (client to server) first, in the order a
packet meets them, then the return leg (the server's reply).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from netmend.reach.result import Direction, Leg

__all__ = ["PathPosition", "RootCause"]


class PathPosition(IntEnum):
    """Where a flow can be dropped, in the order its packets meet each place."""

    SOURCE_SG_EGRESS = 0
    SOURCE_ACL_EGRESS = 1
    ROUTE = 2
    DESTINATION_ACL_INGRESS = 3
    DESTINATION_SG_INGRESS = 4
    # Return leg: the reply leaves the server and comes back to the client. Security
    # groups are stateful, so their two return positions never block; they are kept so
    # the numbering follows the path.
    DESTINATION_SG_EGRESS = 5
    DESTINATION_ACL_EGRESS = 6
    RETURN_ROUTE = 7
    SOURCE_ACL_INGRESS = 8
    SOURCE_SG_INGRESS = 9


class RootCause(BaseModel):
    """One reason a flow is blocked; ``playbook`` is its kind, the id of the playbook that
    fixes it (a JSON field: ``root_causes[].playbook``).

    ``resource`` is the id of the resource the fix touches (sg-, acl-, eni-);
    ``evidence`` holds JSON-able facts the playbook templates from (its keys are listed
    per playbook in ``netmend.reach.causes.classify``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    playbook: str
    resource: str
    summary: str
    evidence: dict[str, Any]
    leg: Leg
    direction: Direction | None
    position: int
