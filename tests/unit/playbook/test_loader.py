"""Loading playbooks: every problem names its file and line (netmend.playbook.loader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.errors import BadInputError
from netmend.playbook import (
    PlaybookError,
    load_playbook_text,
    load_playbooks,
    validate_path,
)
from netmend.playbook.loader import builtin_playbook_files

GOOD = """\
id: open-https
title: Open https
scope: flow
severity: medium
detect:
  - use: cause.present
    with: {id: missing-ingress}
propose:
  - use: sg.authorize-ingress
    with:
      group: "{{ evidence.group_id }}"
      protocol: tcp
      ports: 443
      peer: "{{ evidence.peer }}"
explain: "{{ flow.destination }} needs https"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def _error(text: str, path: str = "pb.yaml") -> PlaybookError:
    with pytest.raises(PlaybookError) as caught:
        load_playbook_text(text, path)
    return caught.value


def test_good_playbook_loads_with_lines() -> None:
    """A valid playbook loads; its steps remember where they were written."""
    playbook = load_playbook_text(GOOD, "pb.yaml")
    assert playbook.id == "open-https"
    assert playbook.propose[0].location == "pb.yaml:9"
    assert playbook.propose[0].param_location("ports") == "pb.yaml:13"
    assert [s.use for s in playbook.verify] == ["reach.flow-allowed"]  # the default


def test_yaml_syntax_error_names_file_and_line() -> None:
    """Broken YAML is reported with the file and the line ruamel points at."""
    text = GOOD.replace("    with: {id: missing-ingress}", "    with: {id: missing-ingress")
    error = _error(text, "broken.yaml")
    assert str(error).startswith("broken.yaml:8: YAML syntax error")
    assert isinstance(error, BadInputError)
    assert error.exit_code == 2


def test_duplicate_yaml_key_is_an_error_at_its_line() -> None:
    """A key written twice is refused at the second one."""
    error = _error(GOOD.replace("severity: medium\n", "severity: medium\nseverity: low\n"))
    assert str(error).startswith("pb.yaml:5:")
    assert "duplicate key" in str(error)


def test_unknown_top_level_key_names_its_line() -> None:
    """extra='forbid': an unknown key is reported at its own line."""
    error = _error(GOOD.replace("severity: medium\n", "severity: medium\nseverty: high\n"))
    assert str(error) == "pb.yaml:5: unknown key 'severty'"


def test_unknown_step_key_names_its_line() -> None:
    """An unknown key inside a step points at that key, inside the list item."""
    text = GOOD.replace("  - use: cause.present\n", "  - use: cause.present\n    whenn: x\n")
    error = _error(text)
    assert str(error) == "pb.yaml:7: unknown key 'whenn' in detect[0]"


def test_wrong_type_names_its_line() -> None:
    """A value of the wrong type (a string where a list belongs) points at its key."""
    error = _error(GOOD.replace("scope: flow", "scope: everywhere"))
    assert str(error).startswith("pb.yaml:3: scope: ")
    error = _error(GOOD.replace("propose:\n", "propose: nothing\nx:\n"))
    assert any(i.line == 8 and "propose" in i.reason for i in error.issues)


def test_missing_required_key_is_reported() -> None:
    """A playbook without explain says which key is missing."""
    text = GOOD.replace('explain: "{{ flow.destination }} needs https"\n', "")
    error = _error(text)
    assert "missing required key 'explain'" in str(error)
    assert error.issues[0].path == "pb.yaml"


def test_every_issue_is_listed() -> None:
    """Several problems in one file are all kept in ``issues``; the message counts them."""
    text = GOOD.replace("scope: flow", "scope: nowhere").replace("severity: medium", "sev: 1")
    error = _error(text)
    assert len(error.issues) >= 3
    assert "more)" in str(error)


def test_unknown_use_names_its_line_and_suggests() -> None:
    """An unregistered detector name fails at its step's line with a suggestion."""
    error = _error(GOOD.replace("use: cause.present", "use: cause.presnt"))
    assert str(error).startswith("pb.yaml:6: unknown detector 'cause.presnt'")
    assert "did you mean 'cause.present'" in str(error)


def test_action_under_detect_is_explained() -> None:
    """An action named under detect says where it belongs."""
    error = _error(GOOD.replace("use: cause.present", "use: sg.authorize-ingress"))
    assert "pb.yaml:6:" in str(error)
    assert "is an action, not a detector" in str(error)


def test_bad_literal_with_value_names_its_line() -> None:
    """A literal parameter value that fails the params model is caught at load time."""
    error = _error(GOOD.replace("ports: 443", "ports: 70000"))
    assert str(error) == (
        "pb.yaml:13: sg.authorize-ingress: ports: port 70000 is out of range: use 0-65535"
    )


def test_unknown_with_key_names_its_line() -> None:
    """A parameter the action does not take is refused at its own line."""
    error = _error(GOOD.replace("ports: 443", "portz: 443"))
    assert str(error).startswith("pb.yaml:13: sg.authorize-ingress: unknown parameter 'portz'")


def test_missing_with_key_is_reported() -> None:
    """A required parameter left out is reported for its step."""
    error = _error(GOOD.replace("      protocol: tcp\n", ""))
    assert "missing parameter 'protocol'" in str(error)
    assert str(error).startswith("pb.yaml:9:")


def test_templated_values_wait_for_rendering() -> None:
    """Templated values are not validated at load time (they are at propose time)."""
    text = GOOD.replace("ports: 443", 'ports: "{{ flow.port }}"')
    assert load_playbook_text(text).propose[0].with_["ports"] == "{{ flow.port }}"


def test_bad_template_is_a_load_error() -> None:
    """A template using an unknown name or a private attribute fails when loading."""
    error = _error(GOOD.replace("{{ evidence.peer }}", "{{ evidense.peer }}"))
    assert str(error).startswith("pb.yaml:14:")
    assert "evidense" in str(error)
    error = _error(GOOD.replace("{{ evidence.peer }}", "{{ evidence.__class__ }}"))
    assert str(error).startswith("pb.yaml:14: refused")
    error = _error(GOOD.replace('"{{ flow.destination }} needs https"', '"{{ flow. }}"'))
    assert str(error).startswith("pb.yaml:15: explain: template syntax error")


def test_bad_when_is_a_load_error() -> None:
    """A ``when`` that cannot render is reported at its line."""
    text = GOOD.replace(
        "    with: {id: missing-ingress}\n",
        "    with: {id: missing-ingress}\n    when: flow.__class__\n",
    )
    error = _error(text)
    assert str(error).startswith("pb.yaml:8: when: refused")


def test_empty_and_non_mapping_files_are_refused() -> None:
    """An empty file or a list at the top is not a playbook."""
    assert "empty file" in str(_error(""))
    assert "is a mapping" in str(_error("- a\n- b\n"))


def test_builtin_playbooks_load() -> None:
    """The shipped playbooks load from the data package and include missing-ingress."""
    playbooks = load_playbooks()
    assert "missing-ingress" in playbooks
    assert len(playbooks) == len(builtin_playbook_files())
    assert playbooks.require("missing-ingress").path.endswith("missing-ingress.yaml")


def test_user_folders_add_playbooks(tmp_path: Path) -> None:
    """--playbooks DIR adds the folder's playbooks to the built-ins."""
    _write(tmp_path / "mine", "https.yaml", GOOD)
    playbooks = load_playbooks([tmp_path / "mine"])
    assert "open-https" in playbooks
    assert "missing-ingress" in playbooks


def test_duplicate_ids_across_folders_name_both_files(tmp_path: Path) -> None:
    """The same id in two folders is an error naming both files and lines."""
    first = _write(tmp_path / "a", "one.yaml", GOOD)
    second = _write(tmp_path / "b", "two.yaml", GOOD)
    with pytest.raises(PlaybookError) as caught:
        load_playbooks([tmp_path / "a", tmp_path / "b"])
    message = str(caught.value)
    assert message.startswith(f"{second}:1: duplicate playbook id 'open-https'")
    assert f"{first}:1" in message


def test_duplicate_of_a_builtin_is_an_error(tmp_path: Path) -> None:
    """A user playbook reusing a built-in id is refused, naming the built-in file."""
    _write(tmp_path, "mi.yaml", GOOD.replace("id: open-https", "id: missing-ingress"))
    with pytest.raises(PlaybookError, match=r"missing-ingress\.yaml:\d+"):
        load_playbooks([tmp_path])


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    """A --playbooks folder that does not exist is reported, not ignored."""
    with pytest.raises(PlaybookError, match="no such playbook folder"):
        load_playbooks([tmp_path / "nope"])


def test_validate_path_checks_a_file_or_a_folder(tmp_path: Path) -> None:
    """validate_path accepts one file or a folder and reports bad files with file:line."""
    good = _write(tmp_path, "good.yaml", GOOD)
    assert [p.id for p in validate_path(good)] == ["open-https"]
    _write(tmp_path, "bad.yaml", GOOD.replace("id: open-https", "id: Bad Id"))
    with pytest.raises(PlaybookError) as caught:
        validate_path(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'bad.yaml'}:1: id: ")
    with pytest.raises(PlaybookError, match="no such file"):
        validate_path(tmp_path / "absent.yaml")


def test_unknown_playbook_id_is_bad_input() -> None:
    """Asking for a playbook that is not loaded lists the known ids (exit 2)."""
    with pytest.raises(PlaybookError) as caught:
        load_playbooks().require("missing-ingres")
    assert "did you mean 'missing-ingress'" in str(caught.value)
    assert caught.value.exit_code == 2
