"""Bad input, fuzzed with hypothesis: the playbook, intents, config and saved-inventory
loaders and the CLI's flow arguments never crash.

Each loader either accepts its input or raises netmend's own error (exit 2) with a
one-line reason naming the file and line; it never lets a traceback out (a RecursionError,
a TypeError from an odd YAML key, a MemoryError from an alias bomb would). The CLI's flow
arguments also go through the real entry point (``netmend diagnose --inventory FILE``):
exit 0/3 for a flow it understood, else exit 2 with one line on stderr, no traceback,
and not one AWS request: ``AWS_ENDPOINT_URL`` points at the loopback proxy, which counts
every request on the wire, writes included.

Inputs are drawn three ways: raw text heavy in YAML syntax, documents built from the
format's own keys with odd values (dumped as JSON, which is YAML), and the shipped files
with one line deleted, duplicated or replaced. 10,000 cases in all: playbooks 1,500,
intents 1,500, config 600, inventories 1,800, flow arguments 4,400 through
``make_flow`` (what the CLI calls with the parsed options) and 200 through the CLI
(ruamel's pure-Python parser makes the YAML cases the costly ones).
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netmend.config import load_config
from netmend.errors import BadInputError, InventoryFileError
from netmend.inventory_file import load_inventory, save_inventory
from netmend.playbook import load_playbook_text
from netmend.playbook.errors import PlaybookError
from netmend.reach import make_flow
from netmend.verify.intents import IntentsError, load_intents_text
from tests.cli_runner import run_cli
from tests.reliability.wire import FaultProxy
from tests.unit.reach.builders import Estate, egress, ingress

pytestmark = pytest.mark.integration


FUZZ = settings(
    deadline=None,
    database=None,  # reproducible in CI: no example database carried between runs
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def fuzz(examples: int) -> settings:
    """The shared settings with this test's number of cases."""
    return settings(FUZZ, max_examples=examples)


# -- drawing inputs --------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["{{ flow.port }}", "{{ x.__class__ }}", "{% for %}", "-1", "0.0.0.0/0"]),
)


def documents(keys: list[str]) -> st.SearchStrategy[Any]:
    """Nested mappings and lists whose keys are mostly the format's own."""
    key = st.one_of(st.sampled_from(keys), st.text(max_size=6))
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=6)
        ),
        max_leaves=12,
    )


YAML_TEXT = st.text(
    alphabet=st.sampled_from(list(string.printable) + list("{}[]:-&*!|>'\"#%@`?,\u00e9\u2028")),
    max_size=120,
)


def mutated(text: str) -> st.SearchStrategy[str]:
    """``text`` with one line deleted, duplicated or replaced by drawn text."""
    lines = text.splitlines()

    def apply(index: int, how: str, extra: str) -> str:
        changed = list(lines)
        i = index % len(changed)
        if how == "delete":
            del changed[i]
        elif how == "duplicate":
            changed.insert(i, changed[i])
        elif how == "replace":
            changed[i] = extra
        else:  # keep the key, change the value
            head = changed[i].split(":", 1)[0]
            changed[i] = f"{head}: {extra}"
        return "\n".join(changed) + "\n"

    return st.builds(
        apply,
        st.integers(min_value=0, max_value=10_000),
        st.sampled_from(["delete", "duplicate", "replace", "value"]),
        YAML_TEXT.map(lambda t: t.replace("\n", " ")[:60]),
    )


def inputs(sample: str, keys: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        YAML_TEXT,
        documents(keys).map(lambda d: json.dumps(d, default=str)),
        mutated(sample),
    )


def refusal(call: Callable[[], object], kind: type[BaseException]) -> Any:
    """The ``kind`` error ``call`` raised, or None when it accepted the input. Any other
    exception propagates: that is the crash the fuzzer looks for."""
    try:
        call()
    except kind as error:
        return error
    return None


def _one_line_at(message: str, path: str) -> None:
    """One line, naming the file and (when the file has lines) the line: ``path:N: ...``."""
    assert "\n" not in message, message
    assert message.startswith(f"{path}:"), message
    assert "Traceback" not in message


# -- playbooks ---------------------------------------------------------------------------

# Small samples keep each case cheap (ruamel's round-trip parser is pure Python).
PLAYBOOK_SAMPLE = """\
id: fuzzed
title: Fuzzed
scope: flow
severity: high
detect:
  - use: cause.present
    with: {id: missing-ingress}
propose:
  - use: sg.authorize-ingress
    with: {group: "{{ evidence.group_id }}", protocol: tcp, ports: 443, peer: 10.0.0.0/16}
verify:
  - use: reach.flow-allowed
explain: "{{ flow.destination }} is closed"
"""
PLAYBOOK_KEYS = ["id", "title", "scope", "severity", "detect", "propose", "verify", "use"]
PLAYBOOK_KEYS += ["with", "when", "explain", "description", "approval", "group", "ports"]


@fuzz(1500)
@given(text=inputs(PLAYBOOK_SAMPLE, PLAYBOOK_KEYS))
def test_playbook_loader(text: str) -> None:
    """A playbook loads or fails with PlaybookError ``fuzz.yaml:LINE: reason``."""
    error = refusal(lambda: load_playbook_text(text, "fuzz.yaml"), PlaybookError)
    if error is not None:
        _one_line_at(str(error), "fuzz.yaml")
        assert all(issue.line is not None for issue in error.issues), error.issues


# -- intents -----------------------------------------------------------------------------

INTENTS_SAMPLE = """\
intents:
  - {name: https, source: i-0a1b2c3d4e5f60718, destination: 10.0.1.20, port: 8443, expect: allowed}
  - name: ping
    source: eni-1
    destination: eni-2
    protocol: icmp
    icmp_type: 8
    expect: denied
"""
INTENTS_KEYS = ["intents", "name", "source", "destination", "protocol", "port", "expect"]
INTENTS_KEYS += ["icmp_type", "icmp_code"]


@fuzz(1500)
@given(text=inputs(INTENTS_SAMPLE, INTENTS_KEYS))
def test_intents_loader(text: str) -> None:
    """Intents load or fail with IntentsError, every line ``intents.yaml:LINE: reason``."""
    error = refusal(lambda: load_intents_text(text, "intents.yaml"), IntentsError)
    if error is not None:
        for line in error.problems:
            _one_line_at(line, "intents.yaml")
            assert line.split(":")[1].isdigit(), line


# -- config ------------------------------------------------------------------------------

CONFIG_SAMPLE = """\
state_dir: ./state
playbook_dirs: [./playbooks.d]
policy:
  auto_approve: [addition]
  require_person: [revocation, widening]
  allow_world_on: [443]
  max_changes: 20
"""
CONFIG_KEYS = ["state_dir", "playbook_dirs", "policy", "auto_approve", "require_person"]
CONFIG_KEYS += ["allow_world_on", "protected_tags", "max_changes", "source"]


@fuzz(600)
@given(text=inputs(CONFIG_SAMPLE, CONFIG_KEYS))
def test_config_loader(text: str, tmp_path: Path) -> None:
    """A config loads or fails with BadInputError ``FILE:LINE: reason``."""
    path = tmp_path / "netmend.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    error = refusal(lambda: load_config(path, env={}), BadInputError)
    if error is not None:
        _one_line_at(str(error), str(path))
        assert str(error)[len(str(path)) + 1 :].split(":")[0].isdigit(), str(error)


# -- saved inventories -------------------------------------------------------------------


def _small_inventory() -> Any:
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-web", ingress("tcp", 443, "10.0.0.0/16"), egress("-1"))
    estate.group("sg-app", ingress("tcp", 8443, "sg-web"))
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-web")
    estate.eni("eni-b", "subnet-a", "10.0.1.20", "sg-app")
    return estate.build()


SMALL_ESTATE = _small_inventory()
INVENTORY_JSON = SMALL_ESTATE.model_dump_json(indent=1)
INVENTORY_KEYS = [*json.loads(INVENTORY_JSON), "group_id", "rules", "cidr", "vpc_id"]


@fuzz(1800)
@given(text=st.one_of(documents(INVENTORY_KEYS).map(json.dumps), mutated(INVENTORY_JSON)))
def test_inventory_loader(text: str, tmp_path: Path) -> None:
    """A saved inventory loads or fails with InventoryFileError: one line naming the file
    (and, for JSON syntax, the line and column)."""
    path = tmp_path / "inventory.json"
    path.write_text(text, encoding="utf-8")
    error = refusal(lambda: load_inventory(path), InventoryFileError)
    if error is not None:
        assert "\n" not in str(error)
        assert str(path) in str(error)


# -- the CLI's flow arguments -------------------------------------------------------------

ARGUMENT = st.one_of(
    st.sampled_from(["eni-a", "eni-b", "10.0.1.10", "10.0.1.20", "203.0.113.9", "i-0abc"]),
    st.sampled_from(["10.0.1.0/24", "::1", "-1", "", " ", "0", "999.1.1.1", "eni-"]),
    st.text(alphabet=string.printable, max_size=20),
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
)
PROTOCOL = st.one_of(
    st.sampled_from(["tcp", "udp", "icmp", "icmpv6", "-1", "6", "17", "256", "TCP", "gre"]),
    st.text(max_size=6),
)


INTEGER = st.one_of(st.none(), st.integers(min_value=-(2**40), max_value=2**40))


@fuzz(4400)
@given(
    source=ARGUMENT,
    destination=ARGUMENT,
    port=INTEGER,
    protocol=PROTOCOL,
    icmp_type=INTEGER,
    icmp_code=INTEGER,
)
def test_flow_arguments(
    source: str,
    destination: str,
    port: int | None,
    protocol: str,
    icmp_type: int | None,
    icmp_code: int | None,
) -> None:
    """What the CLI does with the parsed options (``make_flow`` on the estate): a Flow,
    or BadInputError in one line."""
    error = refusal(
        lambda: make_flow(
            SMALL_ESTATE,
            source,
            destination,
            protocol=protocol,
            port=port,
            icmp_type=icmp_type,
            icmp_code=icmp_code,
        ),
        BadInputError,
    )
    if error is not None:
        assert "\n" not in str(error), repr(error)
        assert str(error), repr(error)


@fuzz(200)
@given(
    source=ARGUMENT,
    destination=ARGUMENT,
    port=st.one_of(st.none(), ARGUMENT),
    protocol=st.one_of(st.none(), PROTOCOL),
    icmp_type=st.one_of(st.none(), ARGUMENT),
    icmp_code=st.one_of(st.none(), ARGUMENT),
)
def test_cli_flow_arguments(
    cli_inventory: Callable[[], Path],
    fault_proxy: FaultProxy,
    source: str,
    destination: str,
    port: str | None,
    protocol: str | None,
    icmp_type: str | None,
    icmp_code: str | None,
) -> None:
    """`netmend diagnose` on fuzzed flow options: 0/3 or exit 2 with one line, no
    traceback, no AWS request at all (counted on the wire)."""
    args = ["diagnose", "--inventory", str(cli_inventory())]
    args += [f"--source={source}", f"--destination={destination}"]
    for option, value in (
        ("--port", port),
        ("--protocol", protocol),
        ("--icmp-type", icmp_type),
        ("--icmp-code", icmp_code),
    ):
        if value is not None:
            args.append(f"{option}={value}")
    result = run_cli(*args)
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 2, 3), (args, result)
    if result.exit_code == 2 and result.stderr.startswith("netmend: error:"):
        assert result.stderr.count("\n") == 1, result.stderr
    elif result.exit_code == 2:  # click's usage error: its own short block
        assert "Invalid value" in result.stderr or "Error" in result.stderr, result.stderr
    assert fault_proxy.calls == []


@pytest.fixture
def cli_inventory(
    fault_proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], Path]:
    """A saved inventory for ``--inventory``, with AWS pointed at the counting proxy."""
    path = save_inventory(_small_inventory(), tmp_path / "estate.json")
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.url)
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("NETMEND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    fault_proxy.reset()
    return lambda: path
