"""Approval: who or what may let a plan be applied (terminal, --yes, policy, ChatOps).

One ApprovalRequest per plan waiting for a decision; the terminal, ``--yes``, the policy
and chat buttons are approvers of that request, and every answer is a Decision (approved,
rejected, refused, expired, unauthorised) written to the audit trail.
"""

from __future__ import annotations

from netmend.approval.decided import DecisionApprover
from netmend.approval.decision import Approver, Decision, DecisionOutcome
from netmend.approval.gate import POLICY_APPROVER, PolicyApprover
from netmend.approval.policy import (
    DEFAULT_SENSITIVE_PORTS,
    Policy,
    never_violations,
    world_open_ports,
)
from netmend.approval.request import ApprovalRequest, ApprovalRoute, request_for
from netmend.approval.terminal import NO_TERMINAL_MESSAGE, TerminalApprover
from netmend.approval.trail import record_decision
from netmend.approval.yes import YesApprover, invoking_user

__all__ = [
    "DEFAULT_SENSITIVE_PORTS",
    "NO_TERMINAL_MESSAGE",
    "POLICY_APPROVER",
    "ApprovalRequest",
    "ApprovalRoute",
    "Approver",
    "Decision",
    "DecisionApprover",
    "DecisionOutcome",
    "Policy",
    "PolicyApprover",
    "TerminalApprover",
    "YesApprover",
    "invoking_user",
    "never_violations",
    "record_decision",
    "request_for",
    "world_open_ports",
]
