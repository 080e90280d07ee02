"""The CloudFormation template in examples/deploy/ stays in step with netmend: the
rule's pattern is the worker's, the role's permissions are `netmend iam-policy --watch`,
and the function's handler is the Lambda entry point with partial batch responses."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from netmend.playbook import iam_policy, load_playbooks
from netmend.watch.iam import watch_statements
from netmend.watch.pattern import event_pattern

TEMPLATE = Path(__file__).parents[3] / "examples" / "deploy" / "cloudformation.yaml"


def _template() -> dict[str, Any]:
    document: dict[str, Any] = YAML(typ="safe").load(TEMPLATE.read_text(encoding="utf-8"))
    return document


def test_the_rule_routes_exactly_the_workers_events() -> None:
    rule = _template()["Resources"]["NetworkChangeRule"]["Properties"]
    assert rule["EventPattern"] == event_pattern()


def test_the_role_has_what_iam_policy_prints_and_no_more() -> None:
    statements = _template()["Resources"]["WatchRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    granted = {s["Sid"]: sorted(s["Action"]) for s in statements}
    expected = {
        s["Sid"]: sorted(s["Action"])
        for s in iam_policy(list(load_playbooks()))["Statement"]
        + watch_statements(queue_arn="q", state_url="s3://bucket/netmend", lock_table_arn="t")
    }
    assert granted.pop("Logs") == [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]
    assert granted == expected
    scoped = {s["Sid"]: s["Resource"] for s in statements if s["Sid"].startswith("NetmendWatch")}
    assert all(resource != "*" for resource in scoped.values())


def test_the_function_is_the_lambda_entry_point_with_partial_failures() -> None:
    resources = _template()["Resources"]
    function = resources["WatchFunction"]["Properties"]
    module, _, name = function["Handler"].rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))
    assert resources["WatchEventSource"]["Properties"]["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"
    ]
    queue = resources["EventsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]
    }
