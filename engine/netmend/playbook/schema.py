"""The shape of a playbook file: pydantic models that also give the JSON Schema.

This is the first of the loader's two passes (shape); the second (meaning: every ``use:``
names a registered detector, action or verifier and its ``with:`` fits that step's params
model) lives in ``netmend.playbook.loader``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

__all__ = ["Approval", "Playbook", "Scope", "Severity", "Step", "playbook_json_schema"]

Scope = Literal["flow", "estate"]
Severity = Literal["low", "medium", "high", "critical"]

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
STEP_NAME = r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$"


class Step(BaseModel):
    """One registered detector, action or verifier, with its parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    use: str = Field(
        pattern=STEP_NAME,
        description="A registered name, e.g. sg.authorize-ingress (`netmend playbooks show`).",
    )
    with_: dict[str, Any] = Field(
        default_factory=dict,
        alias="with",
        description="Parameters; strings may be jinja2 templates over flow, evidence, cause, run.",
    )
    when: str | None = Field(
        default=None,
        description="A template (or bare expression); the step runs only when it is true.",
    )

    # Where the step was written, for error messages at propose time (set by the loader).
    _path: str = PrivateAttr(default="")
    _line: int | None = PrivateAttr(default=None)
    _param_lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @property
    def path(self) -> str:
        return self._path

    @property
    def line(self) -> int | None:
        return self._line

    def param_line(self, key: str) -> int | None:
        """The line of ``with.KEY`` (or ``when``), else the step's own line."""
        return self._param_lines.get(key, self._line)

    @property
    def location(self) -> str:
        """``path:line`` of the step in its playbook file (``path`` alone if unknown)."""
        return self._path if self._line is None else f"{self._path}:{self._line}"

    def param_location(self, key: str) -> str:
        line = self.param_line(key)
        return self._path if line is None else f"{self._path}:{line}"


class Approval(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    required: bool = True
    reason: str = Field(min_length=1)


def _default_verify() -> list[Step]:
    return [Step(use="reach.flow-allowed")]


class Playbook(BaseModel):
    """One root cause or hygiene check: detect, propose, verify, explain."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"title": "netmend playbook"},
    )

    id: str = Field(pattern=SLUG, description="Stable id, used in JSON output and --playbook.")
    title: str = Field(min_length=1)
    scope: Scope = Field(description="flow: runs for a failing flow; estate: in `netmend scan`.")
    severity: Severity
    description: str | None = None
    detect: list[Step] = Field(
        min_length=1, description="Every detector must hold; their evidence is merged."
    )
    propose: list[Step] = Field(default_factory=list)
    verify: list[Step] = Field(default_factory=_default_verify)
    explain: str = Field(min_length=1, description="A template saying what is wrong and why.")
    approval: Approval | None = None

    _path: str = PrivateAttr(default="")
    _line: int | None = PrivateAttr(default=None)
    _explain_line: int | None = PrivateAttr(default=None)

    @property
    def path(self) -> str:
        """The file the playbook was loaded from ("" when built in code)."""
        return self._path

    @property
    def line(self) -> int | None:
        return self._line

    @property
    def explain_line(self) -> int | None:
        return self._explain_line if self._explain_line is not None else self._line

    @property
    def location(self) -> str:
        return self._path if self._line is None else f"{self._path}:{self._line}"

    @property
    def explain_location(self) -> str:
        line = self.explain_line
        return self._path if line is None else f"{self._path}:{line}"


def playbook_json_schema() -> dict[str, Any]:
    """The JSON Schema of a playbook file, for editors (`netmend playbooks schema`)."""
    schema = Playbook.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
