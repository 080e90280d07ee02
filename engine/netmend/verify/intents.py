"""Intents: flows an estate must allow or must deny, declared in a YAML file.

```yaml
intents:
  - name: shop reaches inventory over https
    source: i-0a1b2c3d4e5f60718       # instance, ENI or IPv4 address
    destination: i-0f1e2d3c4b5a69788
    protocol: tcp                      # default tcp; udp, icmp, icmpv6, -1, a number
    port: 8443                         # tcp/udp only
    expect: allowed                    # or: denied
```

Loading checks the shape (unknown keys, bad ``expect``, port 70000, a TCP intent without
a port, duplicate names) and resolving checks the ids against an inventory; both raise
``BadInputError`` (exit 2) whose every line starts ``FILE:LINE:``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from netmend.errors import BadInputError
from netmend.model import Inventory
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP, normalise_protocol
from netmend.reach.flow import Flow, make_flow
from netmend.yaml_lines import YamlInputError, YamlMap, line_of, load_yaml, plain

__all__ = [
    "Intent",
    "IntentsError",
    "IntentsFile",
    "dump_intents",
    "load_intents",
    "load_intents_text",
    "resolve_intents",
]

Expect = Literal["allowed", "denied"]

# An intents file may declare a whole estate's flows (10,000 intents: about 2 MB), more
# than the 1 MiB a playbook or config file may be; still bounded (about 100,000 intents).
MAX_INTENTS_BYTES = 16 << 20
MAX_INTENTS_VALUES = 1_000_000


class IntentsError(BadInputError):
    """An intents file that cannot be used; each line of the message is ``FILE:LINE: why``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class Intent(BaseModel):
    """One declared flow and whether it must be allowed or denied."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    destination: str = Field(min_length=1)
    protocol: str = TCP
    port: int | None = Field(default=None, ge=1, le=65535, strict=True)
    icmp_type: int | None = Field(default=None, ge=0, le=255, strict=True)
    icmp_code: int | None = Field(default=None, ge=0, le=255, strict=True)
    expect: Expect

    _path: str = PrivateAttr(default="<intents>")
    _line: int | None = PrivateAttr(default=None)

    @field_validator("protocol", mode="before")
    @classmethod
    def _canonical_protocol(cls, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError("protocol must be tcp, udp, icmp, icmpv6, -1 or 0-255")
        return normalise_protocol(value)

    @model_validator(mode="after")
    def _ports_fit_protocol(self) -> Intent:
        if self.protocol in (TCP, UDP) and self.port is None:
            raise ValueError(f"port is required for {self.protocol}")
        if self.protocol not in (TCP, UDP) and self.port is not None:
            raise ValueError(f"port applies to tcp and udp only, not {self.protocol}")
        if self.protocol not in (ICMP, ICMPV6) and (
            self.icmp_type is not None or self.icmp_code is not None
        ):
            raise ValueError("icmp_type and icmp_code apply to icmp and icmpv6 only")
        return self

    @property
    def where(self) -> str:
        """``FILE:LINE`` of this intent (``FILE`` alone when the line is unknown)."""
        return f"{self._path}:{self._line}" if self._line else self._path

    @property
    def service(self) -> str:
        """``tcp/8443``, ``icmp type 8``, ``all traffic``."""
        if self.port is not None:
            return f"{self.protocol}/{self.port}"
        if self.protocol in (ICMP, ICMPV6):
            kind = self.icmp_type if self.icmp_type is not None else "8 (default)"
            code = "" if self.icmp_code is None else f" code {self.icmp_code}"
            return f"{self.protocol} type {kind}{code}"
        return "all traffic" if self.protocol == "-1" else f"protocol {self.protocol}"

    def located(self, path: str, line: int | None) -> Intent:
        """This intent, remembering the file and line it was read from."""
        self._path, self._line = path, line
        return self


class IntentsFile(BaseModel):
    """The whole file: a non-empty list of intents with distinct names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    intents: tuple[Intent, ...]

    _path: str = PrivateAttr(default="<intents>")

    @field_validator("intents")
    @classmethod
    def _not_empty(cls, value: tuple[Intent, ...]) -> tuple[Intent, ...]:
        if not value:
            raise ValueError("the file declares no intents: list at least one")
        return value

    @property
    def path(self) -> str:
        return self._path


# -- YAML with lines -------------------------------------------------------------------


def _reason(error: Mapping[str, Any]) -> str:
    raw = tuple(error["loc"])
    loc = [str(p) for p in raw if not isinstance(p, int)]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not raw or isinstance(raw[-1], int):  # about a whole intent (or the whole file)
        return message
    if error["type"] == "extra_forbidden":
        return f"unknown key {loc[-1]!r}" + (
            " (keys: name, source, destination, protocol, port, icmp_type, icmp_code, expect)"
            if len(loc) > 1
            else " (the file holds one key: intents)"
        )
    if error["type"] == "missing":
        return f"missing required key {loc[-1]!r}"
    if error["type"] == "literal_error":
        return f"{loc[-1]}: expected allowed or denied"
    return f"{loc[-1]}: {message}" if loc else message


def load_intents_text(text: str, path: str = "<intents>") -> IntentsFile:
    """Intents from YAML text; IntentsError naming ``path:line`` for every problem."""
    try:
        root = load_yaml(text, max_bytes=MAX_INTENTS_BYTES, max_nodes=MAX_INTENTS_VALUES)
    except YamlInputError as error:
        raise IntentsError([f"{path}:{error.line}: {error.reason}"]) from None
    if not isinstance(root, YamlMap):
        raise IntentsError([f"{path}:1: an intents file is a mapping with the key 'intents'"])
    try:
        loaded = IntentsFile.model_validate(plain(root))
    except ValidationError as error:
        problems = [
            f"{path}:{line_of(root, tuple(e['loc']))}: {_reason(e)}" for e in error.errors()
        ]
        raise IntentsError(problems) from None
    seen: dict[str, int] = {}
    problems = []
    for index, intent in enumerate(loaded.intents):
        line = line_of(root, ("intents", index))
        intent.located(path, line)
        if intent.name in seen:
            problems.append(
                f"{path}:{line}: intent name {intent.name!r} is already used "
                f"at line {seen[intent.name]}"
            )
        seen.setdefault(intent.name, line)
    if problems:
        raise IntentsError(problems)
    loaded._path = path
    return loaded


def load_intents(path: str | os.PathLike[str]) -> IntentsFile:
    """Intents from a YAML file; IntentsError (exit 2) naming file and line when bad."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IntentsError([f"{source}: no such intents file"]) from None
    except IsADirectoryError:
        raise IntentsError([f"{source}: is a directory, not an intents file"]) from None
    except UnicodeDecodeError:
        raise IntentsError([f"{source}: not UTF-8 text"]) from None
    except OSError as error:
        raise IntentsError([f"{source}: cannot read: {error.strerror or error}"]) from None
    return load_intents_text(text, str(source))


def resolve_intents(
    inventory: Inventory, intents: IntentsFile | Sequence[Intent]
) -> list[tuple[Intent, Flow]]:
    """Each intent with its flow, resolved against ``inventory``.

    Every unknown id or unusable pair is reported at once, each as ``FILE:LINE: intent
    'name': why`` (IntentsError, exit 2), before any flow is checked.
    """
    items = intents.intents if isinstance(intents, IntentsFile) else tuple(intents)
    resolved: list[tuple[Intent, Flow]] = []
    problems: list[str] = []
    for intent in items:
        try:
            flow = make_flow(
                inventory,
                intent.source,
                intent.destination,
                protocol=intent.protocol,
                port=intent.port,
                icmp_type=intent.icmp_type,
                icmp_code=intent.icmp_code,
            )
        except BadInputError as error:
            problems.append(f"{intent.where}: intent {intent.name!r}: {error}")
            continue
        resolved.append((intent, flow))
    if problems:
        raise IntentsError(problems)
    return resolved


def dump_intents(intents: Sequence[Intent], *, header: str = "") -> str:
    """An intents file (YAML text) declaring ``intents``; ``header`` becomes comments."""
    from ruamel.yaml import YAML  # writing only: reading needs libyaml alone

    document = {"intents": [intent.model_dump(exclude_none=True) for intent in intents]}
    out = io.StringIO()
    writer = YAML(typ="rt")  # keeps the fields' order, unlike the safe dumper
    writer.default_flow_style = False
    writer.indent(mapping=2, sequence=4, offset=2)  # DESIGN.md's layout
    writer.dump(document, out)
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + out.getvalue()
