"""The registry of detectors, actions and verifiers that playbook steps name by ``use:``.

Logic lives here, in typed Python; YAML only composes and parameterises it. Each entry
declares a params model (pydantic) the loader checks ``with:`` against. An action also
declares the IAM permissions it needs, a YAML example beside its code, how it turns
params into exact API calls with before/after state, and how to invert such a call.
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from netmend.model.change import Change
from netmend.playbook.context import StepContext
from netmend.playbook.params import Params

__all__ = [
    "Action",
    "Detector",
    "NoParams",
    "VerifyStep",
    "action",
    "actions",
    "detector",
    "detectors",
    "get_action",
    "get_detector",
    "get_verifier",
    "invert_change",
    "verifier",
    "verifiers",
]

P = TypeVar("P", bound=BaseModel)
A = TypeVar("A", bound="Action[Any]")

# Modules whose import registers the built-in steps.
_BUILTIN_MODULES = (
    "netmend.playbook.detectors.builtin",
    "netmend.playbook.verifiers",
    "netmend.playbook.actions.sg",
    "netmend.playbook.actions.eni",
    "netmend.playbook.actions.acl",
    "netmend.playbook.actions.quota",
    "netmend.playbook.actions.revoke_rules",
    "netmend.playbook.detectors.stateless",
    "netmend.playbook.actions.allow_flow",
    "netmend.playbook.actions.attach_group",
    "netmend.playbook.actions.make_room",
    "netmend.playbook.detectors.quota_room",
    "netmend.playbook.actions.create_group",
    "netmend.playbook.actions.delete_group",
    # estate-wide detectors (netmend scan)
    "netmend.playbook.detectors.estate.exposure",
    "netmend.playbook.detectors.estate.groups",
    "netmend.playbook.detectors.estate.selfref",
    "netmend.playbook.detectors.estate.references",
    "netmend.playbook.detectors.estate.rules",
    "netmend.playbook.detectors.estate.quota",
    "netmend.playbook.detectors.estate.acls",
    "netmend.playbook.detectors.estate.ssm",
    "netmend.playbook.detectors.estate.conntrack",
    "netmend.playbook.actions.authorize_rules",
)


class NoParams(Params):
    """A step that takes no parameters."""


DetectFunction = Callable[[StepContext, Any], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Detector:
    """A named test over (inventory, flow, evaluation, causes): evidence, or None."""

    name: str
    params: type[BaseModel]
    function: DetectFunction
    summary: str

    def detect(self, ctx: StepContext, params: BaseModel) -> dict[str, Any] | None:
        return self.function(ctx, params)


@dataclass(frozen=True)
class VerifyStep:
    """A named check the runner performs after applying (the runner owns the how)."""

    name: str
    params: type[BaseModel]
    summary: str


class Action(ABC, Generic[P]):
    """A fix step: params in, exact API calls with before/after state out.

    Subclasses are registered with ``@action(...)``, which fills the class attributes.
    """

    name: ClassVar[str]
    params: ClassVar[type[BaseModel]]
    permissions: ClassVar[tuple[str, ...]]
    example: ClassVar[str]
    summary: ClassVar[str]
    rollback_permissions: ClassVar[tuple[str, ...]]  # what applying invert() needs

    @abstractmethod
    def propose(self, ctx: StepContext, params: P) -> list[Change]:
        """The changes that carry out ``params`` from the state the plan has reached."""

    @abstractmethod
    def invert(self, change: Change) -> Change | None:
        """The change that undoes ``change`` (its after back to its before), or None.

        None means the change cannot be undone by netmend (a quota request).
        """


_DETECTORS: dict[str, Detector] = {}
_ACTIONS: dict[str, Action[Any]] = {}
_VERIFIERS: dict[str, VerifyStep] = {}
_loaded = False
_load_lock = threading.Lock()


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def _claim(name: str) -> None:
    if name in _DETECTORS or name in _ACTIONS or name in _VERIFIERS:
        raise ValueError(f"step {name!r} is registered twice")


def detector(
    name: str, *, params: type[BaseModel] = NoParams
) -> Callable[[Callable[[StepContext, Any], dict[str, Any] | None]], DetectFunction]:
    """Register ``function(ctx, params) -> evidence | None`` as detector ``name``."""

    def register(function: DetectFunction) -> DetectFunction:
        _claim(name)
        _DETECTORS[name] = Detector(name, params, function, _first_line(function.__doc__))
        return function

    return register


def verifier(name: str, *, params: type[BaseModel] = NoParams, summary: str) -> None:
    """Declare a verification step the runner knows how to perform."""
    _claim(name)
    _VERIFIERS[name] = VerifyStep(name, params, summary)


def action(
    name: str,
    *,
    params: type[BaseModel],
    permissions: tuple[str, ...],
    example: str,
    rollback_permissions: tuple[str, ...] = (),
) -> Callable[[type[A]], type[A]]:
    """Register an Action subclass as ``name`` with its params, IAM permissions, example.

    ``rollback_permissions`` are what applying its ``invert`` needs, so the IAM policy
    also grants what a rollback does; empty means the action cannot be undone.
    """
    if not permissions:
        raise ValueError(f"action {name!r} must declare its IAM permissions")

    def register(cls: type[A]) -> type[A]:
        _claim(name)
        cls.name = name
        cls.params = params
        cls.permissions = permissions
        cls.example = example.strip() + "\n"
        cls.summary = _first_line(cls.__doc__)
        cls.rollback_permissions = rollback_permissions
        _ACTIONS[name] = cls()
        return cls

    return register


def _ensure_loaded() -> None:
    # The built-in modules import this one, so they are imported on first use, not at
    # import time; the lock keeps concurrent first uses (ChatOps threads) from racing.
    global _loaded  # noqa: PLW0603
    if _loaded:
        return
    with _load_lock:
        if not _loaded:
            for module in _BUILTIN_MODULES:
                importlib.import_module(module)
            _loaded = True


def detectors() -> Mapping[str, Detector]:
    _ensure_loaded()
    return dict(sorted(_DETECTORS.items()))


def actions() -> Mapping[str, Action[Any]]:
    _ensure_loaded()
    return dict(sorted(_ACTIONS.items()))


def verifiers() -> Mapping[str, VerifyStep]:
    _ensure_loaded()
    return dict(sorted(_VERIFIERS.items()))


def get_detector(name: str) -> Detector | None:
    return detectors().get(name)


def get_action(name: str) -> Action[Any] | None:
    return actions().get(name)


def get_verifier(name: str) -> VerifyStep | None:
    return verifiers().get(name)


def invert_change(change: Change) -> Change | None:
    """The change undoing ``change`` (by its registered action), or None if it cannot be.

    Raises KeyError for a change whose action is not registered (a corrupt plan).
    """
    found = get_action(change.action)
    if found is None:
        raise KeyError(f"no registered action {change.action!r} to invert")
    return found.invert(change)
