"""CloudTrail events as EventBridge delivers them to SQS: parsed, classified, their ids.

The message body is the EventBridge event itself (the rule's target has no input
transformer): ``detail-type`` "AWS API Call via CloudTrail", ``source`` "aws.ec2", and
in ``detail`` CloudTrail's record (``eventName``, ``eventID``, ``userIdentity``,
``userAgent``, ``requestParameters``, ``responseElements``, ``errorCode``).

Which resources an event touched is read from its request and response: every value
that looks like a VPC resource id (``sg-``, ``acl-``, ``eni-``, ``rtb-``, gateways,
``subnet-``, ``vpc-``, ``i-``), wherever the API puts it (``groupId``, ``GroupId`` in
ModifySecurityGroupRules, ``groupSet.items``...), so a new API shape does not hide a
change.

An event caused by netmend itself must not start a repair of the repair: its rule
descriptions carry ``netmend run <run id>``, its requests carry ``netmend`` in the
user agent, and its role can be named (``own_principals``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

from netmend.errors import BadInputError

__all__ = [
    "CLOUDTRAIL_DETAIL_TYPE",
    "RELEVANT_EVENT_NAMES",
    "CloudTrailEvent",
    "MalformedEventError",
    "parse_event",
]

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"

# Calls that change what traffic may pass: groups, ACLs, interfaces, routes, gateways.
RELEVANT_EVENT_NAMES: tuple[str, ...] = (
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "DeleteSecurityGroup",
    "CreateNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
    "DeleteNetworkAcl",
    "ModifyNetworkInterfaceAttribute",
    "AttachNetworkInterface",
    "DetachNetworkInterface",
    "ModifyInstanceAttribute",
    "CreateRoute",
    "ReplaceRoute",
    "DeleteRoute",
    "AssociateRouteTable",
    "DisassociateRouteTable",
    "ReplaceRouteTableAssociation",
    "AttachInternetGateway",
    "DetachInternetGateway",
    "DeleteInternetGateway",
    "DeleteNatGateway",
    "DeleteVpcPeeringConnection",
    "DeleteTransitGatewayVpcAttachment",
)

_RESOURCE_ID = re.compile(
    r"^(sg|acl|eni|rtb|igw|eigw|nat|tgw|tgw-attach|pcx|vgw|subnet|vpc|i)-[0-9a-f]{8,17}$"
)
_OWN_DESCRIPTION = re.compile(r"netmend run \d{8}T\d{6}Z-[0-9a-f]{8}")
_OWN_USER_AGENT = re.compile(r"(^|[\s(/])netmend($|[\s/)])")


class MalformedEventError(BadInputError):
    """A message that is not an EventBridge event netmend can read (left to the DLQ)."""


class CloudTrailEvent(BaseModel):
    """What the worker needs from one event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str  # CloudTrail's eventID (stable across redeliveries), else EventBridge's id
    event_name: str
    source: str
    detail_type: str
    region: str | None = None
    account: str | None = None
    principal: str | None = None  # userIdentity.arn
    role: str | None = None  # the role behind an assumed-role session
    user_agent: str = ""
    error_code: str | None = None  # the call failed: nothing changed
    resources: tuple[str, ...] = ()  # touched resource ids, in the order they appear
    own_run: str | None = None  # the netmend run whose description the request carries

    @property
    def relevant(self) -> bool:
        """A successful EC2 call that may change what traffic passes."""
        return (
            self.source == "aws.ec2"
            and self.detail_type == CLOUDTRAIL_DETAIL_TYPE
            and self.event_name in RELEVANT_EVENT_NAMES
            and self.error_code is None
        )

    def caused_by_netmend(self, own_principals: Collection[str] = ()) -> str | None:
        """Why this event is netmend's own write (None when it is someone else's)."""
        if self.own_run:
            return f"the request carries netmend run {self.own_run}"
        if _OWN_USER_AGENT.search(self.user_agent):
            return "the request was sent by netmend (user agent)"
        for arn in (self.principal, self.role):
            if arn and arn in own_principals:
                return f"the request was made by netmend's own principal {arn}"
        return None


def _ids(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if _RESOURCE_ID.fullmatch(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids(item)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_event(body: str | bytes) -> CloudTrailEvent:
    """Parse an SQS message body; MalformedEventError when it is not such an event."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedEventError(f"the message is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise MalformedEventError("the message is not a JSON object (an EventBridge event)")
    detail = document.get("detail")
    if not isinstance(detail, dict):
        raise MalformedEventError("the event has no 'detail' object")
    event_id = _text(detail.get("eventID")) or _text(document.get("id"))
    name = _text(detail.get("eventName"))
    if event_id is None or name is None:
        raise MalformedEventError("the event has no id or no detail.eventName")
    identity = detail.get("userIdentity")
    identity = identity if isinstance(identity, dict) else {}
    session = identity.get("sessionContext")
    issuer = session.get("sessionIssuer") if isinstance(session, dict) else None
    touched = [
        *_ids(detail.get("requestParameters")),
        *_ids(detail.get("responseElements")),
    ]
    request_text = json.dumps(detail.get("requestParameters"), default=str)
    own = _OWN_DESCRIPTION.search(request_text)
    return CloudTrailEvent(
        event_id=event_id,
        event_name=name,
        source=str(document.get("source", "")),
        detail_type=str(document.get("detail-type", "")),
        region=_text(detail.get("awsRegion")) or _text(document.get("region")),
        account=_text(document.get("account")),
        principal=_text(identity.get("arn")),
        role=_text(issuer.get("arn")) if isinstance(issuer, dict) else None,
        user_agent=str(detail.get("userAgent") or ""),
        error_code=_text(detail.get("errorCode")),
        resources=tuple(dict.fromkeys(touched)),
        own_run=own.group(0).removeprefix("netmend run ") if own else None,
    )
