"""Loading a saved inventory fast changes nothing a reader can see, and long intent
reports stay readable: the counts, and every violated intent in full."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playbook.estate import build_inventory
from rich.console import Console

from netmend.errors import InventoryFileError
from netmend.inventory_file import load_inventory, save_inventory
from netmend.model import AclEntry, SgRule
from netmend.render.intents import FULL_REPORT_LIMIT, render_intent_report
from netmend.verify.report import check_intents
from tests.cli_runner import run_cli
from tests.unit.verify.test_flow import _intent, _inventory


def test_saved_file_is_compact_and_versioned(tmp_path: Path) -> None:
    """The file leaves default fields out but always starts with its schema version,
    and loads back equal, lookups and all."""
    original = build_inventory()
    path = save_inventory(original, tmp_path / "estate.json")
    text = path.read_text()
    assert text.startswith('{"schema_version":1,')
    assert '"cidr_ipv6":null' not in text
    assert "\n  " not in text
    loaded = load_inventory(path)
    assert loaded == original
    assert loaded.eni_by_private_ip("10.0.1.10") == original.eni_by_private_ip("10.0.1.10")


def test_shared_fields_sets_stay_private(tmp_path: Path) -> None:
    """Loaded rules share their set of given fields; copying one with an update changes
    that copy's set only, and equal CIDRs written differently load as one canonical form."""
    loaded = load_inventory(save_inventory(build_inventory(), tmp_path / "estate.json"))
    rules = [rule for group in loaded.security_groups for rule in group.rules]
    first, second = rules[0], rules[1]
    before = set(second.model_fields_set)
    changed = first.model_copy(update={"description": "changed"})
    assert "description" in changed.model_fields_set
    assert second.model_fields_set == before
    a = SgRule(group_id="sg-1", egress=False, protocol="6", cidr_ipv4="10.0.1.7/24")
    b = AclEntry(rule_number=1, egress=False, protocol="6", rule_action="allow", cidr="10.0.1.0/24")
    assert (a.cidr_ipv4, a.protocol, b.cidr, b.protocol) == ("10.0.1.0/24", "tcp") * 2


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda text: text[:-10], "is not valid JSON"),
        (lambda text: text.replace('"schema_version":1', '"schema_version":7'), "version 7"),
        (
            lambda text: text.replace('"protocol":"tcp"', '"protocol":"teleport"', 1),
            "does not match the model: field security_groups.",
        ),
        (lambda text: text.replace('"cidr_ipv4":"', '"cidr_ipv4":"999.', 1), "cidr_ipv4"),
    ],
)
def test_bad_inventory_still_exits_2(tmp_path: Path, edit: object, reason: str) -> None:
    """A broken, foreign or ill-fitting file is refused with one line and exit 2, by
    load_inventory and by the CLI alike."""
    path = save_inventory(build_inventory(), tmp_path / "estate.json")
    path.write_text(edit(path.read_text()))  # type: ignore[operator]
    with pytest.raises(InventoryFileError, match=reason):
        load_inventory(path)
    result = run_cli(
        "diagnose", "--inventory", str(path), "-s", "i-client", "-d", "eni-server", "-p", "22"
    )
    assert result.exit_code == 2
    assert reason.split(":", 1)[0] in result.stderr
    assert "Traceback" not in result.stderr


def test_a_long_report_counts_held_and_lists_every_violation() -> None:
    """Past the limit the held intents are counted, not listed; each violated one is
    named with its flow and where it is blocked."""
    held = [_intent(f"https {i}", 443) for i in range(FULL_REPORT_LIMIT)]
    violated = [_intent("ssh one", 22), _intent("ssh two", 22)]
    report = check_intents(_inventory(), [*held, *violated])
    assert report.violated == 2
    console = Console(width=100, record=True)
    console.print(render_intent_report(report))
    text = console.export_text()
    assert f"{FULL_REPORT_LIMIT + 2} intents: {FULL_REPORT_LIMIT} held, 2 violated" in text
    assert "✘ ssh one" in text
    assert "✘ ssh two" in text
    assert "https 3" not in text
    assert "i-client → i-server tcp/22: expected allowed" in text
    short = Console(width=200, record=True)
    short.print(render_intent_report(check_intents(_inventory(), [*held[:3], *violated])))
    assert "https 2" in short.export_text()  # a short report still lists every intent


def test_json_report_lists_every_intent_however_long(tmp_path: Path) -> None:
    """verify --output json keeps the contract: every intent, held or not, and the count."""
    inventory = save_inventory(_inventory(), tmp_path / "estate.json")
    intents = tmp_path / "intents.yaml"
    body = "".join(
        f"  - name: https {i}\n    source: i-client\n    destination: i-server\n"
        "    port: 443\n    expect: allowed\n"
        for i in range(FULL_REPORT_LIMIT + 5)
    )
    intents.write_text("intents:\n" + body)
    result = run_cli(
        "verify", "--inventory", str(inventory), "--intents", str(intents), "--output", "json"
    )
    document = json.loads(result.stdout)
    assert len(document["intents"]) == FULL_REPORT_LIMIT + 5
    assert document["violated"] == 0
    assert result.exit_code == 0
