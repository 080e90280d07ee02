"""Row differences: normalised comparison of rules, entries and group lists."""

from __future__ import annotations

from netmend.model import AclEntry, SecurityGroup, SgRule
from netmend.render.rows import Mark, acl_entry_key, resource_diffs, sg_row_key
from netmend.run.plan import Change, Plan


def _tcp(from_port: int | None, to_port: int | None, **extra: str) -> SgRule:
    return SgRule(
        group_id="sg-1",
        egress=False,
        protocol="tcp",
        from_port=from_port,
        to_port=to_port,
        cidr_ipv4="10.0.0.0/16",
        **extra,
    )


def test_rule_key_ignores_rule_id_and_spellings_of_all_ports() -> None:
    """0-65535, -1/-1 and no ports are one TCP rule; a rule id does not make a rule different."""
    assert sg_row_key(_tcp(0, 65535, rule_id="sgr-1")) == sg_row_key(_tcp(-1, -1))
    assert sg_row_key(_tcp(None, None)) == sg_row_key(_tcp(0, 65535))
    assert sg_row_key(_tcp(80, 80)) != sg_row_key(_tcp(80, 81))


def test_rule_key_keeps_description_and_direction() -> None:
    """A changed description or direction is a different row (shown as - and +)."""
    plain = _tcp(443, 443)
    assert sg_row_key(plain) != sg_row_key(plain.model_copy(update={"description": "x"}))
    assert sg_row_key(plain) != sg_row_key(plain.model_copy(update={"egress": True}))
    assert sg_row_key(plain) == sg_row_key(plain.model_copy(update={"description": ""}))


def test_acl_key_drops_fields_the_protocol_ignores() -> None:
    """Ports on an all-protocols entry do not make it differ from the same entry without them."""
    bare = AclEntry(
        rule_number=100, egress=False, protocol="-1", rule_action="allow", cidr="0.0.0.0/0"
    )
    with_ports = bare.model_copy(update={"port_from": 1, "port_to": 2})
    assert acl_entry_key(bare) == acl_entry_key(with_ports)
    assert acl_entry_key(bare) != acl_entry_key(bare.model_copy(update={"rule_action": "deny"}))


def test_changes_without_state_do_not_hide_the_groups_states() -> None:
    """A stateless change first on a resource leaves the diff to the changes that have state."""
    before = SecurityGroup(group_id="sg-1", group_name="g", rules=(_tcp(22, 22),))
    after = before.model_copy(update={"rules": (_tcp(22, 22), _tcp(443, 443))})
    plan = Plan(
        changes=(
            Change(action="t", api="X", resource="sg-1", params={}),
            Change(action="t", api="Y", resource="sg-1", params={}, before=before, after=after),
        )
    )
    (diff,) = resource_diffs(plan)
    assert [row.mark for row in diff.sg_rules] == [Mark.SAME, Mark.ADDED]
    assert diff.changed


def test_missing_side_counts_as_unchanged() -> None:
    """With only an after-state recorded, nothing is claimed as added or removed."""
    after = SecurityGroup(group_id="sg-1", group_name="g", rules=(_tcp(22, 22),))
    plan = Plan(changes=(Change(action="t", api="Y", resource="sg-1", params={}, after=after),))
    (diff,) = resource_diffs(plan)
    assert [row.mark for row in diff.sg_rules] == [Mark.SAME]
    assert not diff.changed


def test_stateless_resources_have_no_diff() -> None:
    """A quota request alone yields no resource diff."""
    plan = Plan(
        changes=(
            Change(
                action="t",
                api="RequestServiceQuotaIncrease",
                service="service-quotas",
                resource="L-0EA8095F",
                params={},
            ),
        )
    )
    assert resource_diffs(plan) == []
