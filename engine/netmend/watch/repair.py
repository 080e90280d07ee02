"""One event's work: re-read what it touched, re-check the intents on those paths, and
repair each violated one through the core's ``fix`` (diagnose → plan → approve →
snapshot → apply → verify → roll back), as the unattended approver allows: each repair
is a ``FixRequest`` for the intent's flow, as the CLI's ``fix --apply`` makes.

The inventory is kept between events and refreshed: the resources an event names are
read again (``refresh_inventory``); an event that can re-wire a subnet or an interface
(associations, attachments, deletions), or an inventory older than ``max_age``, is
collected afresh. A repair's plan is made from this view, and the runner's drift check
re-reads the touched resources under their locks before writing, so a stale view
refuses rather than writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from netmend.app.fixing import NoFixError, fix
from netmend.app.requests import FixRequest, FlowRequest
from netmend.app.workspace import Workspace
from netmend.aws.collector import collect_inventory, refresh_inventory
from netmend.aws.session import AwsClients
from netmend.errors import BadInputError, NetmendError
from netmend.model import Inventory
from netmend.playbook import ProposalRefusedError
from netmend.reach import Flow, evaluate
from netmend.run.result import RunResult
from netmend.run.runner import Runner
from netmend.store.records import RunStatus
from netmend.verify.intents import Intent, IntentsFile, resolve_intents
from netmend.watch.events import CloudTrailEvent
from netmend.watch.ledger import EventOutcome
from netmend.watch.paths import affected_intents

__all__ = ["HeldRunHook", "Repairer", "RetryLaterError"]

log = structlog.get_logger()

# A run held for a person is handed to this hook (ChatOps posts it for approval).
HeldRunHook = Callable[[RunResult], None]

# Events after which the subnet ↔ ACL / route table or ENI ↔ instance wiring may differ:
# re-reading only the named resources could leave the old wiring in the view.
_REWIRING = frozenset(
    {
        "ReplaceNetworkAclAssociation",
        "DeleteNetworkAcl",
        "AttachNetworkInterface",
        "DetachNetworkInterface",
        "AssociateRouteTable",
        "DisassociateRouteTable",
        "ReplaceRouteTableAssociation",
        "DeleteSecurityGroup",
        "AttachInternetGateway",
        "DetachInternetGateway",
        "DeleteInternetGateway",
        "DeleteNatGateway",
        "DeleteVpcPeeringConnection",
        "DeleteTransitGatewayVpcAttachment",
    }
)


class RetryLaterError(NetmendError):
    """The event cannot be finished now (a resource is locked by another run): the
    message is left on the queue and comes back after its visibility timeout."""


@dataclass
class Repairer:
    """The worker's repairs: its workspace (config, clients, playbooks), its unattended
    runner and the intents it keeps."""

    workspace: Workspace
    runner: Runner
    intents: IntentsFile
    verify_method: str = "auto"
    max_age: timedelta = timedelta(minutes=5)
    on_held: HeldRunHook | None = None
    _inventory: Inventory | None = field(default=None, repr=False)
    _collected: datetime | None = field(default=None, repr=False)

    @property
    def clients(self) -> AwsClients:
        return self.workspace.clients

    def _fresh(self) -> Inventory:
        self._inventory = collect_inventory(self.clients)
        self._collected = datetime.now(UTC)
        return self._inventory

    def view(self, event: CloudTrailEvent) -> Inventory:
        """The estate after ``event``: its resources read again, or everything."""
        old = self._inventory
        stale = self._collected is None or datetime.now(UTC) - self._collected > self.max_age
        if old is None or stale or event.event_name in _REWIRING:
            return self._fresh()
        self._inventory = refresh_inventory(self.clients, old, event.resources)
        return self._inventory

    def _resolved(self, inventory: Inventory) -> tuple[list[tuple[Intent, Flow]], list[str]]:
        """Each intent's flow; an intent whose ends no longer resolve is noted, not fatal."""
        resolved: list[tuple[Intent, Flow]] = []
        notes: list[str] = []
        for intent in self.intents.intents:
            try:
                resolved += resolve_intents(inventory, [intent])
            except BadInputError as error:
                notes.append(str(error))
        return resolved, notes

    def handle(self, event: CloudTrailEvent) -> EventOutcome:
        """Check the intents on the event's paths and repair the violated ones."""
        started = datetime.now(UTC)
        inventory = self.view(event)
        resolved, notes = self._resolved(inventory)
        affected = affected_intents(inventory, resolved, event.resources)
        runs: list[dict[str, str]] = []
        unrepaired = 0  # violated intents no run could repair (no playbook, denied flows)
        for intent, flow in affected:
            reachable = evaluate(inventory, flow).reachable
            if reachable == (intent.expect == "allowed"):
                continue
            if intent.expect == "denied":
                notes.append(
                    f"intent {intent.name!r} must be denied but {flow.service} passes: "
                    "netmend does not close flows unattended"
                )
                unrepaired += 1
                continue
            result = self._repair(event, inventory, intent, flow, notes)
            if result is None:
                unrepaired += 1
                continue
            runs.append(
                {"run_id": result.run_id, "status": result.status.value, "intent": intent.name}
            )
            if result.status is RunStatus.REFUSED and result.message.startswith("locked:"):
                raise RetryLaterError(f"intent {intent.name!r}: {result.message}")
            if result.status is RunStatus.NEEDS_APPROVAL and self.on_held is not None:
                self.on_held(result)
            if result.status is RunStatus.APPLIED:
                inventory = self._fresh()  # the next intent is planned on the repaired estate
        statuses = {r["status"] for r in runs}
        action = (
            "held"
            if RunStatus.NEEDS_APPROVAL.value in statuses
            else "repaired"
            if RunStatus.APPLIED.value in statuses
            else "failed"
            if unrepaired or statuses - {RunStatus.NOTHING_TO_DO.value}
            else "checked"
        )
        return EventOutcome(
            action=action,
            reason="; ".join(notes),
            event_name=event.event_name,
            resources=event.resources,
            intents_checked=tuple(i.name for i, _ in affected),
            runs=tuple(runs),
            started_at=started,
            finished_at=datetime.now(UTC),
        )

    def _repair(
        self,
        event: CloudTrailEvent,
        inventory: Inventory,
        intent: Intent,
        flow: Flow,
        notes: list[str],
    ) -> RunResult | None:
        log.info("repairing intent", intent=intent.name, flow=flow.service, event_id=event.event_id)
        others: Sequence[Intent] = self.intents.intents
        request = FixRequest(
            flow=FlowRequest(
                source=intent.source,
                destination=intent.destination,
                protocol=intent.protocol,
                port=intent.port,
                icmp_type=intent.icmp_type,
                icmp_code=intent.icmp_code,
            ),
            apply=True,
            # The run names the event that broke the intent (audit, rule descriptions).
            change_id=f"event {event.event_id}",
            verify=self.verify_method,
        )
        try:
            # The view just refreshed, and the worker's own runner (unattended approver).
            outcome = fix(
                request,
                workspace=self.workspace,
                estate=inventory,
                runner=self.runner,
                intents=others,
            )
        except (NoFixError, ProposalRefusedError, BadInputError) as error:
            notes.append(f"intent {intent.name!r}: no repair: {error}")
            return None
        return outcome
