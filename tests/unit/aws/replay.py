"""Replay recorded-shape describe answers through the real collector.

A fixture (tests/fixtures/aws/*.json) holds ``source`` (where its shapes come from),
``region`` and ``responses``: one answer per EC2 operation, as boto3 returns it. Every
answer is first checked against botocore's EC2 model by botocore's own Stubber (which
validates a response when it is added); the client then answers each call from the
fixture through a ``before-call`` hook, so paginators, the retry wrapper and every
reader run as they do against AWS. An operation the fixture does not hold answers with
an empty result. No request leaves the process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from netmend.aws.collector import collect_inventory
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.model import Inventory

__all__ = ["FIXTURES", "Replay", "load_fixture", "replay_inventory"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "aws"


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    assert data["source"], "every fixture says where its shapes come from"
    return data


@dataclass
class Replay:
    responses: dict[str, dict[str, Any]]
    calls: list[str] = field(default_factory=list)

    def answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        self.calls.append(model.name)
        parsed = json.loads(json.dumps(self.responses.get(model.name, {})))
        parsed["ResponseMetadata"] = {"HTTPStatusCode": 200, "RequestId": "replay"}
        return AWSResponse("https://replay.invalid", 200, {}, None), parsed


def _validated(clients: AwsClients, responses: dict[str, dict[str, Any]]) -> None:
    stubber = Stubber(clients.ec2)  # never activated: add_response validates the shape
    for operation, response in responses.items():
        stubber.add_response(xform_name(operation), response)


def replay_clients(name: str) -> tuple[AwsClients, Replay, dict[str, Any]]:
    data = load_fixture(name)
    clients = make_clients(AwsOptions(region=data["region"]))
    _validated(clients, data["responses"])
    replay = Replay(data["responses"])
    clients.ec2.meta.events.register("before-call.ec2.*", replay.answer)
    return clients, replay, data


def replay_inventory(name: str) -> tuple[Inventory, Replay, dict[str, Any]]:
    """The inventory the real collector builds from fixture ``name``."""
    clients, replay, data = replay_clients(name)
    return collect_inventory(clients, quotas=False), replay, data
