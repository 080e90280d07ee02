"""The approval policy: what may pass unattended, what needs a person, what never passes.

"Never" rules hold whoever approves, ``--yes`` included: a world-open rule on a sensitive
port (SSH, RDP, databases, caches, search) unless the policy lists the port in
``allow_world_on``; any change to a resource carrying a protected tag; and a plan with
more changes than ``max_changes``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from netmend.approval.windows import parse_window
from netmend.model import SecurityGroup, SgRule
from netmend.model.protocol import ALL, TCP, UDP, normalise_protocol
from netmend.model.rules import sg_rule_key
from netmend.run.plan import Change, ChangeKind, Plan

__all__ = ["DEFAULT_SENSITIVE_PORTS", "Policy", "never_violations", "world_open_ports"]

# Ports that must never face the whole internet: remote shells and data stores.
DEFAULT_SENSITIVE_PORTS: tuple[int, ...] = (
    22,  # SSH
    23,  # telnet
    3389,  # RDP
    5985,  # WinRM over HTTP
    5986,  # WinRM over HTTPS
    1433,  # SQL Server
    1521,  # Oracle
    2483,  # Oracle (TCPS)
    3306,  # MySQL / MariaDB / Aurora MySQL
    5432,  # PostgreSQL / Aurora PostgreSQL
    5439,  # Redshift
    6379,  # Redis / Valkey
    11211,  # Memcached
    27017,  # MongoDB / DocumentDB
    9042,  # Cassandra / Keyspaces
    9200,  # Elasticsearch / OpenSearch HTTP
    9300,  # Elasticsearch transport
    5984,  # CouchDB
    8086,  # InfluxDB
    2375,  # Docker API without TLS
    2379,  # etcd
)


def _default_protected_tags() -> dict[str, str | None]:
    return {"netmend:protected": "true"}


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Nothing passes unattended unless the config says so: a person (the terminal,
    # --yes, ChatOps) approves by default. `auto_approve: [addition]` lets narrow
    # additions through in change-managed pipelines.
    auto_approve: tuple[ChangeKind, ...] = ()
    require_person: tuple[ChangeKind, ...] = (
        ChangeKind.REVOCATION,
        ChangeKind.WIDENING,
        ChangeKind.ENI_GROUPS,
        ChangeKind.DENY_OVERRIDE,
    )
    sensitive_ports: tuple[int, ...] = DEFAULT_SENSITIVE_PORTS
    allow_world_on: tuple[int, ...] = ()
    # key -> value; a None value protects any resource carrying the key at all.
    protected_tags: dict[str, str | None] = Field(default_factory=_default_protected_tags)
    max_changes: int | None = Field(default=20, ge=1)
    # Unattended runs (the event worker) only: how many changes may be applied per clock
    # hour across all workers, and when (netmend.approval.windows). Outside a window,
    # or over the budget, a run is held for a person rather than applied.
    max_changes_per_hour: int | None = Field(default=None, ge=1)
    change_windows: tuple[str, ...] = ()

    @field_validator("change_windows")
    @classmethod
    def _windows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for window in value:
            parse_window(window)  # ValueError names the window and what is wrong
        return value

    @field_validator("protected_tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        # Also accepted: a list of "key" (key-only) or "key=value" strings.
        if isinstance(value, list | tuple):
            tags: dict[str, str | None] = {}
            for item in value:
                key, sep, wanted = str(item).partition("=")
                tags[key] = wanted if sep else None
            return tags
        return value

    @field_validator("sensitive_ports", "allow_world_on")
    @classmethod
    def _ports(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for port in value:
            if not 0 <= port <= 65535:
                raise ValueError(f"port {port} is out of range: use 0-65535")
        return value

    def needs_person(self, change: Change) -> bool:
        """True unless every kind of the change is auto-approvable and none needs a person.

        A change without kinds is unknown, so a person must see it.
        """
        kinds = set(change.kinds)
        if not kinds:
            return True
        return bool(kinds & set(self.require_person)) or not kinds <= set(self.auto_approve)


def _is_world(cidr: str | None) -> bool:
    if cidr is None:
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def world_open_ports(rule: SgRule, ports: tuple[int, ...]) -> tuple[int, ...]:
    """The ``ports`` an ingress rule opens to 0.0.0.0/0 or ::/0 (empty if it opens none)."""
    if rule.egress or not (_is_world(rule.cidr_ipv4) or _is_world(rule.cidr_ipv6)):
        return ()
    if rule.protocol == ALL:
        return ports
    if rule.protocol not in (TCP, UDP):
        return ()
    if rule.all_ports:
        return ports
    low = 0 if rule.from_port is None else rule.from_port
    high = 65535 if rule.to_port is None else rule.to_port
    return tuple(p for p in ports if low <= p <= high)


def _rules_from_params(change: Change) -> list[SgRule]:
    """Ingress rules an Authorize call's IpPermissions would add (for plans without after)."""
    if change.api != "AuthorizeSecurityGroupIngress":
        return []
    rules: list[SgRule] = []
    for perm in change.params.get("IpPermissions") or ():
        try:
            protocol = normalise_protocol(perm.get("IpProtocol", ALL))
        except ValueError:
            continue
        base = {
            "group_id": change.resource,
            "egress": False,
            "protocol": protocol,
            "from_port": perm.get("FromPort"),
            "to_port": perm.get("ToPort"),
        }
        for item in perm.get("IpRanges") or ():
            rules.append(SgRule(**base, cidr_ipv4=item["CidrIp"]))
        for item in perm.get("Ipv6Ranges") or ():
            rules.append(SgRule(**base, cidr_ipv6=item["CidrIpv6"]))
    return rules


def _added_rules(change: Change) -> list[SgRule]:
    added = list(_rules_from_params(change))
    before, after = change.before, change.after
    if isinstance(after, SecurityGroup):
        had = {sg_rule_key(r) for r in before.rules} if isinstance(before, SecurityGroup) else set()
        added.extend(r for r in after.rules if sg_rule_key(r) not in had)
    return added


def _protected_tag(policy: Policy, tags: dict[str, str]) -> str | None:
    for key, wanted in policy.protected_tags.items():
        if key in tags and (wanted is None or tags[key] == wanted):
            return key if wanted is None else f"{key}={wanted}"
    return None


def never_violations(policy: Policy, plan: Plan) -> list[str]:
    """Every never-rule the plan breaks, one readable line each (empty: none)."""
    found: list[str] = []
    if policy.max_changes is not None and len(plan.changes) > policy.max_changes:
        found.append(
            f"the plan has {len(plan.changes)} changes, more than the policy's "
            f"max_changes {policy.max_changes}"
        )
    guarded = tuple(p for p in policy.sensitive_ports if p not in set(policy.allow_world_on))
    for change in plan.changes:
        for state in (change.before, change.after):
            tag = _protected_tag(policy, state.tags) if state is not None else None
            if tag:
                found.append(f"{change.resource} carries the protected tag {tag}")
                break
        for rule in _added_rules(change):
            ports = world_open_ports(rule, guarded)
            if ports:
                shown = ", ".join(str(p) for p in ports[:6]) + (", ..." if len(ports) > 6 else "")
                found.append(
                    f"{change.resource}: {rule.peer} on {rule.protocol} port(s) {shown} "
                    "opens a sensitive port to the whole internet (allow_world_on to permit)"
                )
    return list(dict.fromkeys(found))  # one line per distinct violation, in plan order
