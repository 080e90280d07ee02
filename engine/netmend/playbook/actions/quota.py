"""Service Quotas: ask AWS to raise a VPC quota (no access change, and no undo)."""

from __future__ import annotations

from pydantic import Field, model_validator

from netmend.model.change import Change, ChangeKind
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import Params
from netmend.playbook.registry import Action, action

__all__ = ["QuotaParams", "RequestIncrease"]

RULES_PER_GROUP = "L-0EA8095F"
GROUPS_PER_INTERFACE = "L-2AFB9258"
RULES_PER_ACL = "L-2AEEBF1A"
# AWS caps: rules per group x groups per interface <= 1000; ACL rules at most 40;
# groups per interface at most 16.
_PRODUCT_CAP = 1000
_ACL_MAX = 40
_GROUPS_MAX = 16


class QuotaParams(Params):
    quota_code: str = Field(default=RULES_PER_GROUP, pattern=r"^L-[0-9A-F]{8}$")
    service_code: str = Field(default="vpc", pattern=r"^[a-z0-9-]+$")
    desired_value: int = Field(ge=1)

    @model_validator(mode="after")
    def _within_caps(self) -> QuotaParams:
        if self.quota_code == RULES_PER_ACL and self.desired_value > _ACL_MAX:
            raise ValueError(f"rules per network ACL go up to {_ACL_MAX}")
        if self.quota_code == GROUPS_PER_INTERFACE and self.desired_value > _GROUPS_MAX:
            raise ValueError(f"security groups per interface go up to {_GROUPS_MAX}")
        return self


@action(
    "quota.request-increase",
    params=QuotaParams,
    permissions=("servicequotas:RequestServiceQuotaIncrease",),
    example="""
- use: quota.request-increase
  with:
    service_code: vpc                # L-0EA8095F lives under vpc, not ec2
    quota_code: L-0EA8095F           # inbound or outbound rules per security group
    desired_value: "{{ evidence.quota + 20 }}"
""",
)
class RequestIncrease(Action[QuotaParams]):
    """Request a Service Quotas increase (e.g. rules per security group)."""

    def propose(self, ctx: StepContext, params: QuotaParams) -> list[Change]:
        quotas = ctx.inventory.quotas
        current = {
            RULES_PER_GROUP: quotas.rules_per_security_group,
            GROUPS_PER_INTERFACE: quotas.security_groups_per_interface,
            RULES_PER_ACL: quotas.rules_per_network_acl,
        }.get(params.quota_code)
        if current is not None and params.desired_value <= current:
            raise ProposalRefusedError(
                f"{params.quota_code} is already {current}: asking for "
                f"{params.desired_value} raises nothing"
            )
        product = {
            RULES_PER_GROUP: params.desired_value * quotas.security_groups_per_interface,
            GROUPS_PER_INTERFACE: params.desired_value * quotas.rules_per_security_group,
        }.get(params.quota_code, 0)
        if product > _PRODUCT_CAP:
            raise ProposalRefusedError(
                f"{params.quota_code} at {params.desired_value} would make rules per group x "
                f"groups per interface {product}, over AWS's cap of {_PRODUCT_CAP}"
            )
        return [
            Change(
                action=self.name,
                api="RequestServiceQuotaIncrease",
                service="service-quotas",
                resource=f"{params.service_code}/{params.quota_code}",
                params={
                    "ServiceCode": params.service_code,
                    "QuotaCode": params.quota_code,
                    "DesiredValue": params.desired_value,
                },
                kinds=(ChangeKind.QUOTA,),
                summary=(
                    f"request {params.service_code} quota {params.quota_code} "
                    f"{current if current is not None else '?'} -> {params.desired_value}"
                ),
                warnings=(
                    "not invertible: a quota request cannot be withdrawn by netmend, and AWS "
                    "may take days to decide it",
                ),
            )
        ]

    def invert(self, change: Change) -> Change | None:
        return None  # a quota request cannot be taken back; rollback reports it as kept
