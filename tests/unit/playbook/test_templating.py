"""The jinja2 sandbox playbooks render in (netmend.playbook.templating)."""

from __future__ import annotations

from typing import Any

import pytest

from netmend.playbook import PlaybookError
from netmend.playbook.templating import check_template, render_text, render_value, render_when

CONTEXT: dict[str, Any] = {
    "flow": {"port": 8443, "protocol": "tcp", "source": "i-client (10.0.1.10)", "icmp_type": None},
    "evidence": {"group_id": "sg-server", "peers": ["sg-a", "sg-b"], "unused": False},
    "cause": {"playbook": "missing-ingress"},
    "run": {"run_id": "R1", "change_id": None, "group": None},
}

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ flow.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ flow['__class__'] }}",
    "{{ ''|attr('__class__') }}",
    "x {{ evidence.group_id.__class__.__base__.__subclasses__() }} y",
    "{{ range.__self__ }}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_sandbox_refuses_python_internals(template: str) -> None:
    """A template reaching for private attributes is refused with a one-line PlaybookError."""
    with pytest.raises(PlaybookError) as caught:
        render_value(template, CONTEXT, "pb.yaml:7")
    message = str(caught.value)
    assert message.startswith("pb.yaml:7: refused")
    assert "\n" not in message


def test_sandbox_refusal_is_also_a_load_time_problem() -> None:
    """check_template (what the loader runs) reports the same escape before any render."""
    problem = check_template("{{ ''.__class__.__mro__ }}")
    assert problem is not None
    assert problem.startswith("refused")
    assert "'__class__'" in problem


def test_dynamic_attribute_names_are_refused_by_the_sandbox_at_render() -> None:
    """A private name built at render time (not visible to the load-time check) still fails."""
    template = "{{ flow|attr('_' ~ '_class__') }}"
    assert check_template(template) is None
    with pytest.raises(PlaybookError, match="refused"):
        render_value(template, CONTEXT, "pb.yaml:3")


def test_undefined_top_level_name_is_named() -> None:
    """StrictUndefined: a misspelt context name fails naming the template and the name."""
    with pytest.raises(PlaybookError) as caught:
        render_value("{{ evidnce.group_id }}", CONTEXT, "pb.yaml:9")
    assert "evidnce" in str(caught.value)
    assert "{{ evidnce.group_id }}" in str(caught.value)
    assert str(caught.value).startswith("pb.yaml:9:")


def test_undefined_key_is_named() -> None:
    """A missing evidence key fails (never renders empty), naming the key and template."""
    with pytest.raises(PlaybookError) as caught:
        render_value("sg {{ evidence.rule_id }}", CONTEXT, "pb.yaml:4")
    assert "rule_id" in str(caught.value)
    assert "sg {{ evidence.rule_id }}" in str(caught.value)


def test_undefined_key_inside_a_native_expression_is_an_error() -> None:
    """Whole-expression rendering must not return an Undefined object silently."""
    with pytest.raises(PlaybookError, match="rule_id"):
        render_value("{{ [evidence.rule_id] }}", CONTEXT, "pb.yaml:4")


def test_whole_expression_keeps_native_types() -> None:
    """A value that is one {{ expr }} keeps its type: ints, None, lists, booleans."""
    assert render_value("{{ flow.port }}", CONTEXT, "x") == 8443
    assert render_value("  {{ flow.icmp_type }} ", CONTEXT, "x") is None
    assert render_value("{{ evidence.peers }}", CONTEXT, "x") == ["sg-a", "sg-b"]
    assert render_value("{{ evidence.unused }}", CONTEXT, "x") is False
    assert render_value("{{ flow.port + 1 }}", CONTEXT, "x") == 8444


def test_mixed_text_renders_to_a_string() -> None:
    """Text around or between expressions makes the value a string."""
    assert render_value("{{ flow.port }}-{{ flow.port }}", CONTEXT, "x") == "8443-8443"
    assert render_value("port {{ flow.port }}", CONTEXT, "x") == "port 8443"


def test_nested_values_render_and_literals_pass_through() -> None:
    """Dicts and lists render item by item; non-template values are untouched."""
    value = {
        "group": "{{ evidence.group_id }}",
        "groups": ["{{ evidence.group_id }}", "sg-x"],
        "ports": 443,
        "peer": "10.0.0.0/8",
    }
    assert render_value(value, CONTEXT, "x") == {
        "group": "sg-server",
        "groups": ["sg-server", "sg-x"],
        "ports": 443,
        "peer": "10.0.0.0/8",
    }


def test_when_reads_bare_expressions_and_templates() -> None:
    """``when`` may be a bare expression or a template; text 'false' counts as false."""
    assert render_when("evidence.unused", CONTEXT, "x") is False
    assert render_when("{{ not evidence.unused }}", CONTEXT, "x") is True
    assert render_when("{{ flow.protocol }} is {{ evidence.unused }}", CONTEXT, "x") is True
    assert render_when("{{ 'false' }}", CONTEXT, "x") is False


def test_explain_text_renders() -> None:
    """render_text gives the explanation as text."""
    text = render_text("{{ flow.source }} cannot reach port {{ flow.port }}", CONTEXT, "x")
    assert text == "i-client (10.0.1.10) cannot reach port 8443"


def test_repetition_bombs_are_refused() -> None:
    """Huge string repetition and exponents are capped rather than eating memory."""
    with pytest.raises(PlaybookError, match="refused"):
        render_value("{{ 'a' * 100000000 }}", CONTEXT, "x")
    with pytest.raises(PlaybookError, match="refused"):
        render_value("{{ 10 ** 100000 }}", CONTEXT, "x")
    assert render_value("{{ 'ab' * 2 }}", CONTEXT, "x") == "abab"


def test_evidence_cannot_be_mutated_by_a_template() -> None:
    """The immutable sandbox refuses calls that would change the evidence other steps read."""
    context = {**CONTEXT, "evidence": {"peers": ["sg-a"]}}
    with pytest.raises(PlaybookError):
        render_value("{{ evidence.peers.append('sg-evil') }}", context, "x")
    assert context["evidence"]["peers"] == ["sg-a"]


def test_syntax_errors_are_reported() -> None:
    """A template that does not parse is a PlaybookError naming it."""
    with pytest.raises(PlaybookError, match="syntax"):
        render_value("{{ flow.port ", CONTEXT, "pb.yaml:2")
