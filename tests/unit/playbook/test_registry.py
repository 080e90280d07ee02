"""The registry of actions: permissions, examples, exact API calls, and undo.

Every registered action gets a case here; a new action without one fails the first test.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from netmend.model import Inventory
from netmend.model.change import Change
from netmend.playbook import StepContext, get_action, invert_change, load_playbook_text
from netmend.playbook.registry import actions, detectors, verifiers
from netmend.reach.flow import make_flow
from playbook.estate import acl_entry, build_inventory, make_context, sg_rule

# One valid use of every action on the estate in estate.py.
CASES: dict[str, dict[str, Any]] = {
    "sg.authorize-ingress": {
        "group": "sg-server",
        "protocol": "tcp",
        "ports": 8443,
        "peer": "sg-client",
    },
    "sg.authorize-egress": {
        "group": "sg-client",
        "protocol": "udp",
        "ports": "1000-2000",
        "peer": "10.0.2.20",
        "description": "to the server",
    },
    "sg.revoke-rule": {"group": "sg-server", "rule_id": "sgr-server1"},
    "sg.authorize-rules": {
        "rules": [
            {
                "group": "sg-server",
                "direction": "ingress",
                "protocol": "tcp",
                "port": 8080,
                "peer": "sg-client",
                "why": "traffic",
            },
            {
                "group": "sg-server",
                "direction": "ingress",
                "protocol": "tcp",
                "port": 8081,
                "peer": "sg-client",
                "why": "health-check",
            },
        ],
        "description": "from shop-alb",
    },
    "sg.revoke-rules": {"rules": [{"group": "sg-server", "rule_id": "sgr-server1"}]},
    "sg.delete-group": {"group": "sg-spare"},
    "eni.set-groups": {"eni": "eni-server", "groups": ["sg-server", "sg-spare"]},
    "eni.add-group": {"eni": "eni-server", "group": "sg-spare"},
    "acl.create-entry": {
        "acl": "acl-main",
        "rule_number": 90,
        "egress": False,
        "protocol": "tcp",
        "ports": 8443,
        "cidr": "10.0.1.10/32",
    },
    "acl.replace-entry": {
        "acl": "acl-main",
        "rule_number": 100,
        "egress": True,
        "protocol": "tcp",
        "ports": "1024-65535",
        "cidr": "10.0.0.0/16",
    },
    "acl.delete-entry": {"acl": "acl-main", "rule_number": 100, "egress": False},
    "quota.request-increase": {"desired_value": 100},
    "acl.allow-flow": {"scope": "host"},
    "eni.attach-group": {"eni": "eni-server", "group": "sg-spare"},
    "sg.revoke-redundant": {"group": "sg-server", "direction": "ingress"},
    "sg.consolidate-hosts": {"group": "sg-server", "direction": "ingress", "free": 1},
    "sg.create-group": {
        "ref": "new-sg:20250101T000000Z-abcdef12:1",
        "name": "server-overflow-1",
        "vpc": "vpc-1",
        "overflow_of": "sg-server",
    },
}


def _acl_flow_setup() -> tuple[Inventory, StepContext]:
    # acl-main admits the replies (tcp 1024-65535 in) but not the request on tcp/443.
    inventory = build_inventory(
        acl_entries=(
            acl_entry(100, "allow", egress=False, protocol="tcp", port_from=1024, port_to=65535),
            acl_entry(100, "allow", egress=True),
        )
    )
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=443)
    return inventory, make_context(inventory, flow=flow)


def _ssh_hosts_setup(*cidrs: str) -> Callable[[], tuple[Inventory, StepContext]]:
    def setup() -> tuple[Inventory, StepContext]:
        rules = tuple(
            sg_rule("sg-server", i, protocol="tcp", from_port=22, to_port=22, cidr_ipv4=c)
            for i, c in enumerate(cidrs, start=1)
        )
        inventory = build_inventory(server_rules=rules)
        return inventory, make_context(inventory)

    return setup


# Actions that need more than the plain estate (a flow, rules to work on), and how many
# changes their case proposes (the first one is checked).
SETUPS: dict[str, Callable[[], tuple[Inventory, StepContext]]] = {
    "acl.allow-flow": _acl_flow_setup,
    "sg.revoke-redundant": _ssh_hosts_setup("192.168.50.0/24", "192.168.50.7/32"),
    "sg.consolidate-hosts": _ssh_hosts_setup("192.168.50.1/32", "192.168.50.2/32"),
}
CHANGE_COUNTS = {"sg.consolidate-hosts": 2, "sg.create-group": 2, "sg.authorize-rules": 2}

_SESSION = botocore.session.get_session()
_IAM_PREFIX = {"ec2": "ec2", "service-quotas": "servicequotas"}


def _propose(name: str, inventory: Inventory) -> Change:
    act = get_action(name)
    assert act is not None
    ctx = SETUPS[name]()[1] if name in SETUPS else make_context(inventory)
    changes = act.propose(ctx, act.params.model_validate(CASES[name]))
    assert len(changes) == CHANGE_COUNTS.get(name, 1)
    return changes[0]


def _assert_valid_call(change: Change) -> None:
    operation = _SESSION.get_service_model(change.service).operation_model(change.api)
    report = ParamValidator().validate(change.params, operation.input_shape)
    assert not report.has_errors(), report.generate_report()


def test_every_action_has_a_case_here() -> None:
    """The cases above cover exactly the registered actions (the required ones included)."""
    assert set(actions()) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_action_declares_permissions_and_summary(name: str) -> None:
    """Every action names IAM permissions covering its own API call, and a summary."""
    act = actions()[name]
    assert act.permissions
    assert all(":" in p for p in act.permissions)
    assert act.summary
    change = _propose(name, build_inventory())
    assert f"{_IAM_PREFIX[change.service]}:{change.api}" in act.permissions


@pytest.mark.parametrize("name", sorted(CASES))
def test_action_example_loads_and_validates(name: str) -> None:
    """The YAML example beside each action loads as a propose step of a valid playbook."""
    act = actions()[name]
    text = (
        "id: example\ntitle: Example\nscope: flow\nseverity: low\n"
        "detect:\n  - use: cause.present\n    with: {id: missing-ingress}\n"
        "propose:\n" + textwrap.indent(act.example, "  ") + "explain: example\n"
    )
    playbook = load_playbook_text(text, f"{name}.example.yaml")
    assert [s.use for s in playbook.propose] == [name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_action_proposes_a_call_botocore_accepts(name: str) -> None:
    """Each proposed change's params validate against botocore's own service model."""
    _assert_valid_call(_propose(name, build_inventory()))


@pytest.mark.parametrize("name", sorted(CASES))
def test_invert_round_trips(name: str) -> None:
    """invert(change) leads from the after state back to the before state, with a valid
    call the action's rollback permissions cover; inverting twice redoes the change."""
    act = actions()[name]
    change = _propose(name, build_inventory())
    undo = invert_change(change)
    if name == "quota.request-increase":
        assert undo is None
        assert act.rollback_permissions == ()
        assert any("not invertible" in w for w in change.warnings)
        return
    assert undo is not None
    if change.api == "CreateSecurityGroup":
        _assert_creation_round_trips(change, undo)
        return
    if change.api == "DeleteSecurityGroup":
        _assert_deletion_round_trips(change, undo)
        return
    assert change.before is not None
    assert change.after is not None
    assert change.after != change.before
    assert undo.before == change.after
    assert undo.after == change.before
    assert undo.resource == change.resource
    _assert_valid_call(undo)
    assert f"ec2:{undo.api}" in act.rollback_permissions
    redo = invert_change(undo)
    assert redo is not None
    assert redo.after == change.after
    # Re-revoked by permission: the re-added rule's new id is unknown.
    if name not in ("sg.revoke-rule", "sg.revoke-rules", "sg.revoke-redundant"):
        assert redo.params == change.params


def _assert_deletion_round_trips(change: Change, undo: Change) -> None:
    """A group deleted: the undo re-creates it alike (name, VPC, tags, under a new id),
    the redo deletes it again."""
    assert change.before is not None
    assert change.after is None
    assert undo.api == "CreateSecurityGroup"
    assert (undo.before, undo.after) == (None, change.before)
    assert undo.params["GroupName"] == change.before.group_name
    _assert_valid_call(undo)
    assert "ec2:CreateSecurityGroup" in actions()["sg.delete-group"].rollback_permissions
    redo = invert_change(undo)
    assert redo is not None
    assert (redo.api, redo.params) == (change.api, change.params)


def _assert_creation_round_trips(change: Change, undo: Change) -> None:
    """A group that did not exist: the undo deletes it, the redo creates it alike."""
    assert change.before is None
    assert change.after is not None
    assert undo.api == "DeleteSecurityGroup"
    assert undo.params == {"GroupId": change.resource}
    assert (undo.before, undo.after) == (change.after, None)
    _assert_valid_call(undo)
    assert "ec2:DeleteSecurityGroup" in actions()["sg.create-group"].rollback_permissions
    redo = invert_change(undo)
    assert redo is not None
    assert (redo.api, redo.params, redo.after) == (change.api, change.params, change.after)


def test_authorize_undo_revokes_by_exact_permission() -> None:
    """The new rule has no id yet: its undo revokes by the same permission, minus the
    description (AWS does not match on it)."""
    change = _propose("sg.authorize-ingress", build_inventory())
    undo = invert_change(change)
    assert undo is not None
    assert undo.api == "RevokeSecurityGroupIngress"
    assert undo.params == {
        "GroupId": "sg-server",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "UserIdGroupPairs": [{"GroupId": "sg-client"}],
            }
        ],
    }


def test_revoke_undo_reauthorizes_the_removed_rule() -> None:
    """Undoing a revoke by rule id authorizes the very rule that was removed."""
    change = _propose("sg.revoke-rule", build_inventory())
    assert change.params == {"GroupId": "sg-server", "SecurityGroupRuleIds": ["sgr-server1"]}
    undo = invert_change(change)
    assert undo is not None
    assert undo.api == "AuthorizeSecurityGroupIngress"
    assert undo.params["IpPermissions"] == [
        {
            "IpProtocol": "tcp",
            "FromPort": 22,
            "ToPort": 22,
            "IpRanges": [{"CidrIp": "192.168.50.0/24"}],
        }
    ]


def test_detectors_and_verifiers_are_registered() -> None:
    """The detectors the DESIGN sketch names and the default verifier exist."""
    assert {
        "cause.present",
        "sg.ingress-blocks-flow",
        "sg.egress-blocks-flow",
        "sg.near-miss-port",
        "flow.narrowest-peer",
    } <= set(detectors())
    assert "reach.flow-allowed" in verifiers()
    assert all(d.summary for d in detectors().values())
