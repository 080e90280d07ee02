"""A Plan as a dry-run diff: what each touched resource looks like before and after.

``render_plan`` gives a rich renderable for the terminal; ``plan_to_text`` the same without
colour, for tests, files and chat. The ``table`` format shows each resource's rule table
with added rows green and ``+``, removed rows red and ``-``, then the change kinds, the
warnings and the equivalent AWS CLI commands. ``awscli``, ``terraform`` and
``cloudformation`` give text meant to be copied: they are never wrapped or cropped by
``plan_to_text``; print them with ``soft_wrap=True`` (or write ``plan_to_text`` directly).
Everything here is a pure function of the Plan: no AWS.
"""

from __future__ import annotations

import io
import json
from typing import Any, Literal, get_args

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from netmend.model import AclEntry, NetworkAcl, NetworkInterface, SecurityGroup, SgRule
from netmend.render.awscli import aws_cli_commands, cli_command
from netmend.render.cloudformation import plan_to_cloudformation
from netmend.render.iac import stateless_changes
from netmend.render.rows import (
    DiffRow,
    Mark,
    ResourceDiff,
    acl_ports_text,
    protocol_text,
    resource_diffs,
)
from netmend.render.terraform import plan_to_terraform
from netmend.run.plan import Change, ChangeKind, Plan

__all__ = [
    "DIFF_FORMATS",
    "KIND_MEANINGS",
    "DiffFormat",
    "aws_cli_commands",
    "change_to_json",
    "plan_to_cloudformation",
    "plan_to_json",
    "plan_to_terraform",
    "plan_to_text",
    "render_plan",
]

DiffFormat = Literal["table", "awscli", "terraform", "cloudformation"]
DIFF_FORMATS: tuple[str, ...] = get_args(DiffFormat)

KIND_MEANINGS: dict[ChangeKind, str] = {
    ChangeKind.ADDITION: "adds a narrow rule",
    ChangeKind.REVOCATION: "removes a rule or entry",
    ChangeKind.WIDENING: "admits a broader peer or range than the flow needs",
    ChangeKind.ENI_GROUPS: "changes which groups an interface carries",
    ChangeKind.DENY_OVERRIDE: "places an allow before an explicit deny",
    ChangeKind.QUOTA: "requests a quota increase (no access change)",
}

_MARK_STYLE = {Mark.ADDED: "green", Mark.REMOVED: "red", Mark.SAME: ""}
NOTHING_TO_DO = "nothing to do"


def _table(columns: list[str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("", width=1, no_wrap=True)  # the diff mark
    for column in columns:
        table.add_column(column, overflow="fold")  # an id is folded, never cut with "…"
    return table


def _add(table: Table, row: DiffRow[Any], cells: list[str]) -> None:
    mark = "" if row.mark is Mark.SAME else str(row.mark)
    table.add_row(mark, *cells, style=_MARK_STYLE[row.mark])


def _sg_peer(rule: SgRule) -> str:
    return f"{rule.peer} (self)" if rule.is_self_reference else rule.peer


def _sg_table(diff: ResourceDiff, group: SecurityGroup, deleted: bool) -> tuple[str, Table]:
    name = f" ({group.group_name})" if group.group_name else ""
    if deleted:
        name += f" in {group.vpc_id}: DELETED, with all {len(diff.sg_rules)} rule(s)"
    table = _table(["direction", "protocol", "ports", "peer", "description", "rule id"])
    for row in diff.sg_rules:
        rule = row.item
        rule_id = rule.rule_id or ("(new)" if row.mark is Mark.ADDED else "")
        _add(
            table,
            row,
            [
                "egress" if rule.egress else "ingress",
                protocol_text(rule.protocol),
                rule.ports_text,
                _sg_peer(rule),
                rule.description or "",
                rule_id,
            ],
        )
    return f"Security group {group.group_id}{name}", table


def _acl_table(diff: ResourceDiff, acl: NetworkAcl) -> tuple[str, Table]:
    subnets = f" (subnets {', '.join(acl.subnet_ids)})" if acl.subnet_ids else ""
    table = _table(["direction", "rule #", "protocol", "ports / ICMP", "CIDR", "action"])
    for row in diff.acl_entries:
        entry: AclEntry = row.item
        _add(
            table,
            row,
            [
                "egress" if entry.egress else "ingress",
                "*" if entry.is_default_deny else str(entry.rule_number),
                protocol_text(entry.protocol),
                acl_ports_text(entry),
                entry.cidr,
                str(entry.rule_action),
            ],
        )
    return f"Network ACL {acl.network_acl_id}{subnets}", table


def _group_names(plan: Plan) -> dict[str, str]:
    names: dict[str, str] = dict(plan.group_names)
    for change in plan.changes:
        for state in (change.before, change.after):
            if isinstance(state, SecurityGroup):
                names[state.group_id] = state.group_name
    return names


def _eni_table(
    diff: ResourceDiff, eni: NetworkInterface, names: dict[str, str]
) -> tuple[str, Table]:
    owner = f" ({eni.instance_id})" if eni.instance_id else ""
    table = _table(["group", "name"])
    for row in diff.eni_groups:
        _add(table, row, [row.item, names.get(row.item, "")])
    return f"Network interface {eni.network_interface_id}{owner}", table


def _resource_table(
    diff: ResourceDiff, names: dict[str, str], deleted: tuple[str, ...] = ()
) -> RenderableType:
    """The resource's title on its own line (a table title would wrap), then its rows."""
    state = diff.state
    if isinstance(state, SecurityGroup):
        title, table = _sg_table(diff, state, diff.resource in deleted)
    elif isinstance(state, NetworkAcl):
        title, table = _acl_table(diff, state)
    else:
        assert isinstance(state, NetworkInterface)
        title, table = _eni_table(diff, state, names)
    return Group(Text(title, style="bold"), table)


def _header(plan: Plan) -> Text:
    text = Text(f"Plan {plan.run_id}", style="bold")
    if plan.flow is not None:
        flow = plan.flow
        text.append(f"\nflow: {flow.service} from {flow.source.label} to {flow.destination.label}")
    if plan.playbooks:
        text.append(f"\nplaybooks: {', '.join(plan.playbooks)}")
    if plan.change_id:
        text.append(f"\nchange: {plan.change_id}")
    if plan.region:
        text.append(f"\nregion: {plan.region}")
    return text


def _change_line(number: int, change: Change) -> Text:
    line = Text(f"{number}. {change.api} on {change.resource}")
    if change.summary:
        line.append(f": {change.summary}")
    if change.kinds:
        line.append(f" [{', '.join(str(k) for k in change.kinds)}]", style="dim")
    return line


def _kinds_and_warnings(plan: Plan) -> list[RenderableType]:
    kinds = [k for k in ChangeKind if k in plan.kinds]  # enum order: stable output
    parts: list[RenderableType] = []
    if kinds:
        parts.append(Text("\nChange kinds", style="bold"))
        parts += [Text(f"  {kind}: {KIND_MEANINGS[kind]}") for kind in kinds]
    warnings = list(dict.fromkeys(w for change in plan.changes for w in change.warnings))
    if warnings:
        parts.append(Text("\nWarnings", style="bold yellow"))
        parts += [Text(f"  ! {warning}", style="yellow") for warning in warnings]
    return parts


def _table_view(plan: Plan) -> RenderableType:
    parts: list[RenderableType] = [_header(plan)]
    if plan.empty:
        parts.append(Text(NOTHING_TO_DO, style="bold"))
        parts += [Text(f"note: {note}") for note in plan.notes]
        return Group(*parts)
    names = _group_names(plan)
    diffs = resource_diffs(plan)
    parts.append(Text(""))
    parts += [_resource_table(diff, names, plan.deleted) for diff in diffs]
    for change in stateless_changes(plan, diffs):
        parts.append(Text(f"{change.api} on {change.resource} (no rule table)", style="bold"))
    parts.append(Text("\nChanges", style="bold"))
    parts += [_change_line(i, change) for i, change in enumerate(plan.changes, start=1)]
    parts += _kinds_and_warnings(plan)
    parts += [Text(f"note: {note}") for note in plan.notes]
    parts.append(Text("\nEquivalent AWS CLI commands", style="bold"))
    parts += [
        Text(cli_command(change, plan.region).multi_line(), overflow="fold")
        for change in plan.changes
    ]
    return Group(*parts)


def _awscli_text(plan: Plan) -> str:
    if plan.empty:
        return f"# {NOTHING_TO_DO}\n"
    return "".join(f"{command}\n" for command in aws_cli_commands(plan))


def _check_format(fmt: str) -> None:
    if fmt not in DIFF_FORMATS:
        raise ValueError(f"unknown diff format {fmt!r}: use {', '.join(DIFF_FORMATS)}")


def _raw_text(plan: Plan, fmt: DiffFormat) -> str:
    if fmt == "awscli":
        return _awscli_text(plan)
    if fmt == "terraform":
        return plan_to_terraform(plan)
    return plan_to_cloudformation(plan)


def render_plan(plan: Plan, *, fmt: DiffFormat = "table") -> RenderableType:
    """The plan as a rich renderable: the coloured table view, or the chosen text format."""
    _check_format(fmt)
    if fmt == "table":
        return _table_view(plan)
    return Text(_raw_text(plan, fmt).rstrip("\n"), no_wrap=True, overflow="ignore")


def plan_to_text(plan: Plan, fmt: DiffFormat = "table", width: int = 100) -> str:
    """The plan as plain text: the table view laid out ``width`` wide, other formats verbatim."""
    _check_format(fmt)
    if fmt != "table":
        return _raw_text(plan, fmt)
    console = Console(
        file=io.StringIO(), width=width, color_system=None, record=True, highlight=False
    )
    console.print(_table_view(plan))
    # Cells are padded to the column width; trailing blanks are noise in files and diffs.
    return "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def change_to_json(change: Change, region: str | None = None) -> dict[str, Any]:
    """One change for JSON output: the API call, its target and what it does to access."""
    return {
        "action": change.action,
        "service": change.service,
        "api": change.api,
        "resource": change.resource,
        "params": _json_safe(change.params),
        "kinds": [str(kind) for kind in change.kinds],
        "summary": change.summary,
        "warnings": list(change.warnings),
        "aws_cli": cli_command(change, region).one_line(),
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan for ``--output json``; ``changes`` is the list ``fix`` prints."""
    return {
        "run_id": plan.run_id,
        "region": plan.region,
        "change_id": plan.change_id,
        "playbooks": list(plan.playbooks),
        "changes": [change_to_json(change, plan.region) for change in plan.changes],
        "notes": list(plan.notes),
    }
