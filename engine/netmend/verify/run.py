"""Local verification after applying: the flow now passes and nothing else broke.

Three checks, on the estate read again after the last write (the touched resources
re-read into the inventory collected just before the first write):

1. the failing flow is reachable (netmend's evaluator);
2. every rule, entry or group the touched resources had before is still there, unless
   the plan meant to remove it (it is absent from the plan's "after");
3. flows between ENIs that were reachable before on the ports the touched resources
   name are still reachable, unless the planned state also blocks them; and the
   intents, if given, hold (``verify.report.check_intents``, as ``netmend verify``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from netmend.aws.collector import collect_inventory, refresh_inventory
from netmend.aws.session import AwsClients
from netmend.errors import NetmendError
from netmend.model import Inventory, NetworkAcl, NetworkInterface, SecurityGroup
from netmend.model.protocol import TCP, UDP
from netmend.model.rules import acl_entry_content, resource_id, rule_text, sg_rule_key
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import Flow, endpoints_between
from netmend.run.plan import Plan, ResourceState
from netmend.run.result import Verification
from netmend.verify.intents import Intent, IntentsError
from netmend.verify.report import check_intents

__all__ = ["IntentCheck", "LocalRunVerifier", "RunVerifier", "kept_differences", "with_states"]

DEFAULT_MAX_FLOWS = 200


# An entry of an intents file (``netmend verify --intents``, ``fix --intents``).
IntentCheck = Intent


class RunVerifier(Protocol):
    """Checks a run after its last write; ``prepare`` runs before the first write."""

    method: str

    def prepare(self, plan: Plan) -> Any: ...

    def verify(
        self,
        plan: Plan,
        flow: Flow | None,
        intents: Sequence[IntentCheck],
        baseline: Any,
    ) -> Verification: ...


def with_states(
    inventory: Inventory, states: Sequence[ResourceState], *, removed: Sequence[str] = ()
) -> Inventory:
    """``inventory`` with these groups / ACLs / ENIs put in place of its own (or added:
    a group the plan creates), and the groups in ``removed`` (a plan's deletions) gone."""
    replace = {resource_id(s): s for s in states}
    gone = set(removed)
    if not replace and not gone:
        return inventory
    fields = {name: getattr(inventory, name) for name in Inventory.model_fields}
    if gone:
        fields["security_groups"] = tuple(
            g for g in inventory.security_groups if g.group_id not in gone
        )
        inventory = Inventory(**fields)

    def swap(items: tuple[Any, ...], key: str, kind: type) -> tuple[Any, ...]:
        present = {getattr(item, key) for item in items}
        new = [s for rid, s in replace.items() if isinstance(s, kind) and rid not in present]
        return tuple(replace.get(getattr(item, key), item) for item in items) + tuple(new)

    fields["security_groups"] = swap(inventory.security_groups, "group_id", SecurityGroup)
    fields["network_acls"] = swap(inventory.network_acls, "network_acl_id", NetworkAcl)
    fields["network_interfaces"] = swap(
        inventory.network_interfaces, "network_interface_id", NetworkInterface
    )
    return Inventory(**fields)  # built anew so the lookups are rebuilt


def kept_differences(
    before: ResourceState, after: ResourceState | None, live: ResourceState | None
) -> list[str]:
    """What ``before`` had, the plan kept (in ``after``), and ``live`` lost."""
    rid = resource_id(before)
    if live is None:
        return [f"{rid}: no longer exists"]
    lost: list[str] = []
    if isinstance(before, SecurityGroup) and isinstance(live, SecurityGroup):
        planned = (
            {sg_rule_key(r) for r in after.rules} if isinstance(after, SecurityGroup) else None
        )
        present = {sg_rule_key(r) for r in live.rules}
        lost = [
            f"{rule_text(r)} was lost"
            for r in before.rules
            if (planned is None or sg_rule_key(r) in planned) and sg_rule_key(r) not in present
        ]
    elif isinstance(before, NetworkAcl) and isinstance(live, NetworkAcl):

        def table(acl: NetworkAcl) -> dict[tuple[bool, int], Any]:
            return {(e.egress, e.rule_number): acl_entry_content(e) for e in acl.entries}

        planned_acl = table(after) if isinstance(after, NetworkAcl) else None
        present_acl = table(live)
        for key, content in table(before).items():
            kept = planned_acl is None or planned_acl.get(key) == content
            if kept and present_acl.get(key) != content:
                direction = "egress" if key[0] else "ingress"
                lost.append(f"{direction} entry {key[1]} changed or was lost")
    elif isinstance(before, NetworkInterface) and isinstance(live, NetworkInterface):
        planned_groups = set(after.group_ids) if isinstance(after, NetworkInterface) else None
        lost = [
            f"group {g} was detached"
            for g in before.group_ids
            if (planned_groups is None or g in planned_groups) and g not in live.group_ids
        ]
    return [f"{rid}: {line}" for line in lost]


@dataclass(frozen=True)
class _Baseline:
    inventory: Inventory


def _affected_enis(inventory: Inventory, state: ResourceState) -> list[NetworkInterface]:
    if isinstance(state, SecurityGroup):
        return list(inventory.enis_of_group(state.group_id))
    if isinstance(state, NetworkAcl):
        # Explicit associations, and for a default ACL the subnets without one.
        subnets = set(state.subnet_ids) | {
            s.subnet_id
            for s in inventory.subnets_in_vpc(state.vpc_id)
            if (acl := inventory.acl_of_subnet(s.subnet_id)) is not None
            and acl.network_acl_id == state.network_acl_id
        }
        return [e for e in inventory.network_interfaces if e.subnet_id in subnets]
    eni = inventory.network_interface(state.network_interface_id)
    return [eni] if eni is not None else []


def _ports_named(state: ResourceState) -> set[tuple[str, int]]:
    ports: set[tuple[str, int]] = set()
    if isinstance(state, SecurityGroup):
        for rule in state.rules:
            if rule.protocol in (TCP, UDP) and rule.from_port is not None:
                ports.add((rule.protocol, max(rule.from_port, 1)))
    elif isinstance(state, NetworkAcl):
        for entry in state.entries:
            if entry.protocol in (TCP, UDP) and entry.port_from is not None:
                ports.add((entry.protocol, max(entry.port_from, 1)))
    return ports


def _candidate_flows(plan: Plan, inventory: Inventory, flow: Flow | None) -> Iterator[Flow]:
    """Flows between ENIs on the ports the touched resources name, touched side first."""
    affected: dict[str, NetworkInterface] = {}
    ports: set[tuple[str, int]] = set()
    vpcs: set[str] = set()
    for rid in plan.resources:
        state = plan.before(rid)
        if state is None:
            continue
        vpcs.add(state.vpc_id or "")
        ports |= _ports_named(state)
        for eni in _affected_enis(inventory, state):
            affected[eni.network_interface_id] = eni
    if flow is not None and flow.protocol in (TCP, UDP) and flow.port is not None:
        ports.add((flow.protocol, flow.port))
    # An IPv6-only interface takes part by its IPv6 address (endpoints_between).
    others = [e for e in inventory.network_interfaces if e.vpc_id in vpcs]
    for protocol, port in sorted(ports):
        for touched in affected.values():
            for other in others:
                if other.network_interface_id == touched.network_interface_id:
                    continue
                for src, dst in ((other, touched), (touched, other)):
                    ends = endpoints_between(src, dst)
                    if ends is not None:
                        yield Flow(
                            source=ends[0], destination=ends[1], protocol=protocol, port=port
                        )


class LocalRunVerifier:
    """Verification with netmend's own evaluator over the estate read again."""

    method = "local"

    def __init__(self, clients: AwsClients, *, max_flows: int = DEFAULT_MAX_FLOWS) -> None:
        self.clients = clients
        self.max_flows = max_flows

    def prepare(self, plan: Plan) -> _Baseline:
        """The estate just before the first write (Service Quotas not asked)."""
        return _Baseline(collect_inventory(self.clients, quotas=False))

    def verify(
        self,
        plan: Plan,
        flow: Flow | None,
        intents: Sequence[IntentCheck],
        baseline: Any,
    ) -> Verification:
        if not isinstance(baseline, _Baseline):
            raise NetmendError("local verification needs the baseline from prepare()")
        before_inv = baseline.inventory
        live_inv = refresh_inventory(self.clients, before_inv, plan.resources)
        planned = [s for s in (plan.after(r) for r in plan.resources) if s is not None]
        expected_inv = with_states(before_inv, planned, removed=plan.deleted)
        problems: list[str] = []
        reachable: bool | None = None
        if flow is not None:
            evaluation = evaluate(live_inv, flow)
            reachable = evaluation.reachable
            if not reachable:
                where = evaluation.blocking
                at = f" at {where.component} ({where.code})" if where else ""
                problems.append(
                    f"{flow.service} from {flow.source.label} to "
                    f"{flow.destination.label} is still blocked{at}"
                )
        for rid in plan.resources:
            before = plan.before(rid)
            if rid in plan.deleted:
                if live_inv.get(rid) is not None:
                    problems.append(f"{rid}: still exists, the plan deleted it")
                continue
            if before is not None:
                live = live_inv.get(rid)
                problems += kept_differences(before, plan.after(rid), live)
        checked = 0
        for candidate in _candidate_flows(plan, before_inv, flow):
            if checked >= self.max_flows:
                break
            checked += 1
            if not evaluate(before_inv, candidate).reachable:
                continue
            if evaluate(live_inv, candidate).reachable:
                continue
            if not evaluate(expected_inv, candidate).reachable:
                continue  # the plan meant to cut it
            problems.append(
                f"{candidate.service} from {candidate.source.label} to "
                f"{candidate.destination.label} was reachable before and no longer is"
            )
        problems += self._intent_problems(live_inv, intents)
        detail = (
            "; ".join(problems)
            if problems
            else (
                f"flow reachable; rules kept; {checked} other flow(s) unchanged"
                if flow is not None
                else f"rules kept; {checked} other flow(s) unchanged"
            )
        )
        return Verification(
            method=self.method,
            reachable=reachable,
            passed=not problems,
            detail=detail,
            problems=tuple(problems),
            flows_checked=checked,
        )

    @staticmethod
    def _intent_problems(inventory: Inventory, intents: Sequence[IntentCheck]) -> list[str]:
        """The intents checked as ``netmend verify`` checks them (``check_intents``)."""
        if not intents:
            return []
        try:
            report = check_intents(inventory, intents)
        except IntentsError as error:  # an id the estate no longer has
            return list(error.problems)
        return [
            f"intent {r.name!r} expects {r.expect}, is {'allowed' if r.reachable else 'denied'}"
            for r in report.intents
            if not r.held
        ]
