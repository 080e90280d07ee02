"""The account's applied VPC quotas from Service Quotas, else AWS's documented defaults.

Service Quotas is optional: without the permission, or where it is not implemented
(moto has only part of it), netmend keeps the defaults in ``Quotas`` and says why in
the log at info level.
"""

from __future__ import annotations

import structlog

from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, NetmendError
from netmend.model import Quotas

__all__ = ["QUOTA_CODES", "read_quotas"]

log = structlog.get_logger()

SERVICE_CODE = "vpc"  # not "ec2": these quotas live under the VPC service code

# Quotas field -> Service Quotas code.
QUOTA_CODES: dict[str, str] = {
    "rules_per_security_group": "L-0EA8095F",
    "security_groups_per_interface": "L-2AFB9258",
    "rules_per_network_acl": "L-2AEEBF1A",
}


def _read_one(clients: AwsClients, code: str) -> int:
    client = clients.service_quotas
    try:
        answer = clients.call(client.get_service_quota, ServiceCode=SERVICE_CODE, QuotaCode=code)
    except AwsCallError as error:
        # No applied value recorded for this account: the default is the value.
        if error.code != "NoSuchResourceException":
            raise
        answer = clients.call(
            client.get_aws_default_service_quota, ServiceCode=SERVICE_CODE, QuotaCode=code
        )
    return int(answer["Quota"]["Value"])


def read_quotas(clients: AwsClients) -> Quotas:
    """The three quotas netmend checks fixes against; ``source`` says where they came from
    ("service-quotas" when at least one was read there, else "default")."""
    values: dict[str, int] = {}
    for field, code in QUOTA_CODES.items():
        try:
            values[field] = _read_one(clients, code)
        except (NetmendError, KeyError, TypeError, ValueError) as error:
            log.info(
                "quota not read; using the default",
                quota_code=code,
                quota=field,
                default=getattr(Quotas(), field),
                reason=str(error),
            )
    if not values:
        return Quotas()
    return Quotas(source="service-quotas", **values)
