"""YAML through libyaml: the values YAML 1.2 gives, and every problem at its line."""

from __future__ import annotations

import pytest

from netmend.verify.intents import IntentsError, load_intents_text
from netmend.yaml_lines import (
    MAX_YAML_NODES,
    YamlInputError,
    YamlSyntaxError,
    line_of,
    load_yaml,
    plain,
)

INTENT = """\
  - name: {name}
    source: i-client
    destination: eni-server
    port: 443
    expect: allowed
"""


def _intents(count: int) -> str:
    # Long names: past 1 MiB with few intents (parsing stays quick).
    padding = "from the shop's web tier to the inventory service over https " * 2
    return "intents:\n" + "".join(INTENT.format(name=f"{padding}{i}") for i in range(count))


def test_lines_of_keys_and_items() -> None:
    """line_of walks keys and items to the line they were written on (1-based)."""
    root = load_yaml("a: 1\nb:\n  - x\n  - y: 2\n    z: 3\n")
    assert line_of(root, ("a",)) == 1
    assert line_of(root, ("b", 1, "z")) == 5
    assert line_of(root, ("b", 7)) == 2  # no such item: the nearest node that exists
    assert plain(root) == {"a": 1, "b": ["x", {"y": 2, "z": 3}]}


def test_yaml_12_scalars() -> None:
    """YAML 1.2's core schema, as the round-trip loader had it: yes/on stay words, 017 is
    seventeen, hex and floats and nulls are what they say; merges fill missing keys."""
    root = load_yaml(
        "a: yes\nb: on\nc: 017\nd: 0x1F\ne: 2.5\nf: ~\ng: true\nh: '8'\n"
        "base: &b {p: 1, q: 2}\nm:\n  <<: *b\n  q: 3\n"
    )
    assert plain(root) == {
        "a": "yes",
        "b": "on",
        "c": 17,
        "d": 31,
        "e": 2.5,
        "f": None,
        "g": True,
        "h": "8",
        "base": {"p": 1, "q": 2},
        "m": {"q": 3, "p": 1},
    }


def test_syntax_error_and_duplicate_key_name_their_line() -> None:
    """A broken flow sequence and a key written twice are refused at their lines."""
    with pytest.raises(YamlSyntaxError) as broken:
        load_yaml("a: 1\nb: [1, 2\nc: 3\n")
    assert broken.value.line == 3
    with pytest.raises(YamlSyntaxError, match="duplicate key 'a'") as twice:
        load_yaml("a: 1\nb: 2\na: 3\n")
    assert twice.value.line == 3


def test_limits_still_hold() -> None:
    """Depth, alias expansion and unknown tags are refused before any model sees them."""
    with pytest.raises(YamlInputError, match="nested deeper than 64"):
        load_yaml("a: " + "[" * 70 + "]" * 70)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcde", "bcdef", strict=True)
    )
    with pytest.raises(YamlInputError, match=f"over {MAX_YAML_NODES:,}"):
        load_yaml(bomb)
    with pytest.raises(YamlInputError, match="unsupported YAML tag '!Ref'"):
        load_yaml("a: !Ref x\n")


def test_intents_errors_name_file_and_line_deep_in_a_large_file() -> None:
    """An intents file larger than the 1 MiB a playbook may be loads; a bad port and an
    unknown key deep inside it are reported at their own lines."""
    text = _intents(5000)
    assert len(text) > 1 << 20
    intents = load_intents_text(text, "big.yaml").intents
    assert len(intents) == 5000
    lines = text.splitlines(keepends=True)
    port_line = 1 + 5 * 4000 + 4  # intent 4000's "port: 443"
    assert lines[port_line - 1] == "    port: 443\n"
    lines[port_line - 1] = "    port: 70000\n"
    lines[port_line] = "    expekt: allowed\n"
    with pytest.raises(IntentsError) as caught:
        load_intents_text("".join(lines), "big.yaml")
    assert caught.value.problems == (
        f"big.yaml:{port_line}: port: Input should be less than or equal to 65535",
        f"big.yaml:{port_line - 3}: missing required key 'expect'",
        f"big.yaml:{port_line + 1}: unknown key 'expekt' (keys: name, source, destination, "
        "protocol, port, icmp_type, icmp_code, expect)",
    )
    assert intents[4000].where == f"big.yaml:{port_line - 3}"
