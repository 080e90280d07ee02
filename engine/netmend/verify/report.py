"""Checking intents: does each declared flow get the verdict it expects?

``check_intents`` resolves every intent first (a bad id fails the whole file, exit 2,
before any analysis is paid for), then checks each flow with a ``FlowVerifier`` (checked
locally, all flows as one batch: ``netmend.reach.evaluate_flows``).
An ``IntentReport``'s ``model_dump(mode="json")`` is DESIGN.md's contract (``{"intents":
[{name, expect, held, explanations}], "violated": N}``, plus details);
``netmend.render.intents`` shows it as a table.
``intents_hold_after`` re-reads the parts of the estate the intents cross, after a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    computed_field,
    field_serializer,
)

from netmend.model import Inventory
from netmend.reach import Explanation, Flow
from netmend.verify.flow import LOCAL, FlowVerdict, FlowVerifier, LocalVerifier, MethodVerifier
from netmend.verify.intents import Intent, IntentsFile, resolve_intents

if TYPE_CHECKING:
    from netmend.aws.session import AwsClients

__all__ = [
    "EXIT_VIOLATED",
    "IntentReport",
    "IntentResult",
    "check_intents",
    "intents_hold_after",
]

# `netmend verify`'s exit code when an intent is violated (0 all held, 2 bad input, as
# diagnose's 3 for a blocked flow).
EXIT_VIOLATED = 3


class IntentResult(BaseModel):
    """One intent's outcome: the verdict on its flow and whether that is what it expects."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    expect: str
    held: bool
    reachable: bool
    method: str
    explanations: tuple[Explanation, ...] = ()
    source: str
    destination: str
    service: str
    detail: str = ""
    fallback_reason: str | None = None
    # For the table and the fix's own checks; the JSON names the flow by source,
    # destination and service.
    destination_address: str = Field(exclude=True)
    protocol: str = Field(exclude=True)
    port: int | None = Field(default=None, exclude=True)
    where: str = Field(default="", exclude=True)

    @field_serializer("explanations")
    def _explanations(
        self, explanations: tuple[Explanation, ...], info: SerializationInfo
    ) -> list[dict[str, Any]]:
        # An intent is a flow of its own: its explanations carry no load-balancer segment.
        return [e.model_dump(mode=info.mode, exclude={"segment"}) for e in explanations]

    @property
    def blocking(self) -> Explanation | None:
        return None if self.reachable or not self.explanations else self.explanations[0]


class IntentReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    intents: tuple[IntentResult, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def violated(self) -> int:
        return sum(1 for r in self.intents if not r.held)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def held(self) -> int:
        return len(self.intents) - self.violated

    @property
    def all_held(self) -> bool:
        return self.violated == 0


def _inventory_of(target: Inventory | FlowVerifier, inventory: Inventory | None) -> Inventory:
    if inventory is not None:
        return inventory
    if isinstance(target, Inventory):
        return target
    if isinstance(target, LocalVerifier | MethodVerifier):
        return target.inventory
    raise TypeError("check_intents needs an inventory to resolve the intents' ids")


def _result(intent: Intent, flow: Flow, verdict: FlowVerdict) -> IntentResult:
    return IntentResult(
        name=intent.name,
        expect=intent.expect,
        held=verdict.reachable == (intent.expect == "allowed"),
        reachable=verdict.reachable,
        method=verdict.method,
        explanations=verdict.explanations,
        detail=verdict.detail,
        fallback_reason=verdict.fallback_reason,
        source=intent.source,
        destination=intent.destination,
        destination_address=flow.destination.address,
        protocol=flow.protocol,
        port=flow.port,
        service=flow.service,
        where=intent.where,
    )


def check_intents(
    target: Inventory | FlowVerifier,
    intents: IntentsFile | Sequence[Intent],
    *,
    inventory: Inventory | None = None,
) -> IntentReport:
    """Check every intent: locally against an Inventory, or with a FlowVerifier
    (``MethodVerifier(method, clients)`` for ``--method``).

    Ids are resolved against ``inventory`` (default: the Inventory given, or the
    verifier's own); any unknown id raises IntentsError (exit 2) before any check.
    """
    verifier: FlowVerifier = LocalVerifier(target) if isinstance(target, Inventory) else target
    resolved = resolve_intents(_inventory_of(target, inventory), intents)
    verdicts = _verdicts(verifier, [f for _, f in resolved])
    return IntentReport(
        intents=tuple(_result(i, f, v) for (i, f), v in zip(resolved, verdicts, strict=True))
    )


def _verdicts(verifier: FlowVerifier, flows: list[Flow]) -> list[FlowVerdict]:
    """Checked locally, the flows are evaluated as one batch (they share the work);
    any other method checks them one by one."""
    if isinstance(verifier, LocalVerifier):
        return verifier.check_many(flows)
    if isinstance(verifier, MethodVerifier) and verifier.method == LOCAL:
        return verifier.local.check_many(flows)
    return [verifier.check(flow) for flow in flows]


def _path_ids(inventory: Inventory, flows: Sequence[Flow]) -> tuple[set[str], set[str]]:
    """The ENIs/instances the flows start and end at; then their groups, ACLs, tables."""
    ends: set[str] = set()
    for flow in flows:
        for end in (flow.source, flow.destination):
            ends |= {i for i in (end.eni_id, end.instance_id) if i}
    around: set[str] = set()
    for eni_id in (i for i in ends if i.startswith("eni-")):
        eni = inventory.network_interface(eni_id)
        if eni is None:
            continue
        around |= set(eni.group_ids)
        acl = inventory.acl_of_subnet(eni.subnet_id)
        table = inventory.route_table_of_subnet(eni.subnet_id)
        around |= {x for x in (acl and acl.network_acl_id, table and table.route_table_id) if x}
    return ends, around


def intents_hold_after(
    clients: AwsClients,
    inventory: Inventory | None,
    intents: IntentsFile | Sequence[Intent],
) -> tuple[bool, IntentReport]:
    """After a fix: read again what the intents cross and check them locally.

    ``inventory`` is the estate as read before the fix (None: read it all now). The
    intents' ENIs and instances are read again first, then the groups, ACLs and route
    tables they now use; the intents are then resolved and evaluated on that.
    """
    if inventory is None:
        local = LocalVerifier(clients)
    else:
        local = LocalVerifier(inventory, clients=clients)
        flows = [flow for _, flow in resolve_intents(inventory, intents)]
        ends, _ = _path_ids(inventory, flows)
        local.refresh(ends)
        _, around = _path_ids(local.inventory, flows)
        local.refresh(around)
    report = check_intents(local, intents)
    return report.all_held, report
