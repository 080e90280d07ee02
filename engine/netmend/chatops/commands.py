"""The words after ``/netmend``, parsed into typed commands (adapter-neutral).

    diagnose SRC DST PROTO/PORT
    fix SRC DST PROTO/PORT [playbook=ID] [change=TEXT]
    rollback RUN_ID
    runs
    help

PROTO/PORT is ``tcp/443``, ``udp/53``, ``icmp`` (echo request), ``icmp/TYPE`` or
``icmp/TYPE/CODE``, or ``all``. Anything else is a ``CommandError`` whose message is the
one-line usage answer the chat shows.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from netmend.app.requests import FlowRequest
from netmend.errors import BadInputError

__all__ = [
    "USAGE",
    "Command",
    "CommandError",
    "DiagnoseCommand",
    "FixCommand",
    "FlowSpec",
    "HelpCommand",
    "RollbackCommand",
    "RunsCommand",
    "parse_command",
    "parse_flow_spec",
]

USAGE = {
    "diagnose": "diagnose SRC DST PROTO/PORT",
    "fix": "fix SRC DST PROTO/PORT [playbook=ID] [change=TEXT]",
    "rollback": "rollback RUN_ID",
    "runs": "runs",
    "help": "help",
}
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_RESOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,253}$")
_PLAYBOOK = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# A ticket or change number; no markup characters, since it is echoed into the channel
# and written into rule descriptions.
_CHANGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/#-]{0,127}$")


class CommandError(BadInputError):
    """A command the chat cannot run; ``str()`` is the one-line answer."""


@dataclass(frozen=True)
class FlowSpec:
    source: str
    destination: str
    protocol: str  # tcp, udp, icmp, -1
    port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    def request(self) -> FlowRequest:
        """The flow as the core's request (what the CLI's options make too)."""
        return FlowRequest(
            source=self.source,
            destination=self.destination,
            protocol=self.protocol,
            port=self.port,
            icmp_type=self.icmp_type,
            icmp_code=self.icmp_code,
        )

    @property
    def label(self) -> str:
        if self.protocol == "icmp":
            return f"{self.source} → {self.destination} icmp/{self.icmp_type}"
        shown = "all" if self.protocol == "-1" else f"{self.protocol}/{self.port}"
        return f"{self.source} → {self.destination} {shown}"


@dataclass(frozen=True)
class DiagnoseCommand:
    flow: FlowSpec


@dataclass(frozen=True)
class FixCommand:
    flow: FlowSpec
    playbook: str | None = None
    change_id: str | None = None


@dataclass(frozen=True)
class RollbackCommand:
    run_id: str


@dataclass(frozen=True)
class RunsCommand:
    pass


@dataclass(frozen=True)
class HelpCommand:
    pass


Command = DiagnoseCommand | FixCommand | RollbackCommand | RunsCommand | HelpCommand


def _usage(verb: str, why: str) -> CommandError:
    return CommandError(f"{why}. Usage: /netmend {USAGE[verb]}")


def _number(text: str, what: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{what} {text!r} is not a number from {low} to {high}")
    return int(text)


def parse_flow_spec(source: str, destination: str, service: str) -> FlowSpec:
    """``tcp/443`` and friends; raises ValueError with a readable reason."""
    for value in (source, destination):
        if not _RESOURCE.match(value):
            raise ValueError(f"{value!r} is not an instance id, ENI id or address")
    parts = service.lower().split("/")
    protocol = parts[0]
    if protocol in ("all", "-1") and len(parts) == 1:
        return FlowSpec(source, destination, "-1")
    if protocol in ("tcp", "udp") and len(parts) == 2:
        return FlowSpec(source, destination, protocol, _number(parts[1], "port", 0, 65535))
    if protocol == "icmp" and len(parts) <= 3:
        kind = _number(parts[1], "ICMP type", 0, 255) if len(parts) > 1 else 8
        code = _number(parts[2], "ICMP code", 0, 255) if len(parts) > 2 else None
        return FlowSpec(source, destination, "icmp", icmp_type=kind, icmp_code=code)
    raise ValueError(f"{service!r} is not PROTO/PORT (tcp/443, udp/53, icmp, all)")


def _options(verb: str, words: list[str], allowed: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or key not in allowed or not value:
            raise _usage(verb, f"unexpected {word!r}")
        found[key] = value
    return found


def parse_command(text: str) -> Command:
    """Parse the slash command's text; raises CommandError with the usage line."""
    try:
        words = shlex.split(text)  # change="CHG 4711" keeps its space
    except ValueError as error:
        raise CommandError(f"cannot read the command: {error}. Try /netmend help") from error
    if not words:
        return HelpCommand()
    verb, rest = words[0].lower(), words[1:]
    if verb in ("help", "runs"):
        if rest:
            raise _usage(verb, f"{verb} takes no arguments")
        return HelpCommand() if verb == "help" else RunsCommand()
    if verb == "rollback":
        if len(rest) != 1 or not _RUN_ID.match(rest[0]):
            raise _usage(verb, "rollback needs one run id")
        return RollbackCommand(rest[0])
    if verb in ("diagnose", "fix"):
        if len(rest) < 3:
            raise _usage(verb, f"{verb} needs a source, a destination and PROTO/PORT")
        try:
            flow = parse_flow_spec(*rest[:3])
        except ValueError as error:
            raise _usage(verb, str(error)) from error
        if verb == "diagnose":
            if rest[3:]:
                raise _usage(verb, f"unexpected {rest[3]!r}")
            return DiagnoseCommand(flow)
        options = _options(verb, rest[3:], {"playbook", "change"})
        playbook, change = options.get("playbook"), options.get("change")
        if playbook is not None and not _PLAYBOOK.match(playbook):
            raise _usage(verb, f"{playbook!r} is not a playbook id")
        if change is not None and not _CHANGE.match(change):
            raise _usage(verb, "change= takes letters, digits, spaces and _ . : / # -")
        return FixCommand(flow, playbook=playbook, change_id=change)
    raise CommandError(f"unknown command {verb!r}: use " + ", ".join(USAGE) + " (/netmend help)")
