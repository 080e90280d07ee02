"""The playbook JSON Schema (`netmend playbooks schema`) and the models behind it."""

from __future__ import annotations

from importlib.resources.abc import Traversable

import jsonschema
import pytest
from ruamel.yaml import YAML

from netmend.playbook import Playbook, playbook_json_schema
from netmend.playbook.loader import builtin_playbook_files


def _validator() -> jsonschema.Draft202012Validator:
    schema = playbook_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("source", builtin_playbook_files(), ids=lambda f: f.name)
def test_schema_validates_builtin_playbooks(source: Traversable) -> None:
    """Every shipped playbook is valid against the JSON Schema editors get."""
    data = YAML(typ="safe").load(source.read_text(encoding="utf-8"))
    errors = list(_validator().iter_errors(data))
    assert errors == []


def test_schema_rejects_what_the_loader_rejects() -> None:
    """Unknown keys, bad enums and missing fields fail the schema too, like the model."""
    validator = _validator()
    good = {
        "id": "x",
        "title": "X",
        "scope": "flow",
        "severity": "low",
        "detect": [{"use": "cause.present", "with": {"id": "x"}}],
        "explain": "x",
    }
    assert list(validator.iter_errors(good)) == []
    for bad in (
        {**good, "colour": "red"},
        {**good, "severity": "urgent"},
        {**good, "detect": [{"use": "cause.present", "bogus": 1}]},
        {k: v for k, v in good.items() if k != "explain"},
        {**good, "id": "Not A Slug"},
    ):
        assert list(validator.iter_errors(bad)), bad


def test_schema_names_with_by_its_yaml_key() -> None:
    """Step parameters are spelt `with` in the schema, as in the YAML."""
    step = playbook_json_schema()["$defs"]["Step"]
    assert "with" in step["properties"]
    assert step["additionalProperties"] is False


def test_verify_defaults_to_flow_allowed() -> None:
    """A playbook without verify checks that the flow is allowed afterwards."""
    playbook = Playbook.model_validate(
        {
            "id": "x",
            "title": "X",
            "scope": "flow",
            "severity": "low",
            "detect": [{"use": "cause.present"}],
            "explain": "x",
        }
    )
    assert [s.use for s in playbook.verify] == ["reach.flow-allowed"]
