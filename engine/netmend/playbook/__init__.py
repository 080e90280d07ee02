"""Playbooks: declarative fixes that compose registered, typed detectors and actions.

The public surface the CLI and the runner use; see DESIGN.md, "Playbooks". The lists of
registered steps are ``netmend.playbook.registry.actions()``/``detectors()``/``verifiers()``:
the names ``actions``, ``detectors`` and ``verifiers`` here are the sub-packages and module
that hold the built-in steps.
"""

from __future__ import annotations

from netmend.playbook.context import StepContext, sanitize_description
from netmend.playbook.errors import PlaybookError, PlaybookIssue, ProposalRefusedError
from netmend.playbook.iam import iam_policy
from netmend.playbook.loader import PlaybookSet, load_playbook_text, load_playbooks, validate_path
from netmend.playbook.propose import PlaybookOutcome, propose_plan, run_playbook
from netmend.playbook.registry import (
    Action,
    Detector,
    VerifyStep,
    get_action,
    get_detector,
    get_verifier,
    invert_change,
)
from netmend.playbook.root_causes import root_cause_ids
from netmend.playbook.schema import Approval, Playbook, Step, playbook_json_schema

__all__ = [
    "Action",
    "Approval",
    "Detector",
    "Playbook",
    "PlaybookError",
    "PlaybookIssue",
    "PlaybookOutcome",
    "PlaybookSet",
    "ProposalRefusedError",
    "Step",
    "StepContext",
    "VerifyStep",
    "get_action",
    "get_detector",
    "get_verifier",
    "iam_policy",
    "invert_change",
    "load_playbook_text",
    "load_playbooks",
    "playbook_json_schema",
    "propose_plan",
    "root_cause_ids",
    "run_playbook",
    "sanitize_description",
    "validate_path",
]
