"""Read generated code the way the tool that runs it would (issue 11, item 1).

- awscli: ``bash -n`` on the whole script, then every ``aws ec2 OPERATION ...`` is split
  as the shell splits it (``shlex``), its options are turned back into the API's
  parameters as the AWS CLI does (``--kebab-name`` is the member ``KebabName``; JSON for
  lists and structures, ``Key=Value,...`` shorthand, several words for a list of
  strings, a bare flag for a boolean, the CLI's own ``--ingress``/``--egress`` and
  ``--protocol/--port/--cidr/--source-group``), and botocore's ``ParamValidator``
  checks them against the EC2 service model.
- Terraform: python-hcl2 (the HCL2 grammar Terraform uses).
- CloudFormation: PyYAML's safe loader taught the short-form intrinsic tags (``!Ref``,
  ``!GetAtt``, ``!Sub``, ...), as ``cfn-lint`` and ``aws cloudformation`` read them.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from typing import Any

import botocore.session
import hcl2
import yaml
from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator

__all__ = ["AwsCall", "parse_awscli", "parse_cloudformation", "parse_terraform"]

AwsCall = tuple[str, dict[str, Any]]

_EC2 = botocore.session.get_session().get_service_model("ec2")
_GLOBAL = {"--region": 1, "--output": 1, "--query": 1, "--profile": 1, "--endpoint-url": 1}
_SG_SHORT = {"--protocol", "--port", "--cidr", "--source-group", "--group-owner"}


def _bash_syntax(script: str) -> None:
    bash = shutil.which("bash")
    assert bash is not None, "bash is needed to check the generated script"
    checked = subprocess.run(  # noqa: S603  # bash -n reads, never runs, the script
        [bash, "-n"], input=script, text=True, capture_output=True, check=False
    )
    assert checked.returncode == 0, f"bash -n: {checked.stderr}\n{script}"


def _commands(script: str) -> list[list[str]]:
    """Each ``aws ...`` command's words, as the shell splits them (comments dropped).

    ``VAR=$(aws ...)`` keeps a created group's id: the substitution's command is checked.
    """
    joined = script.replace("\\\n", " ")  # backslash continuations
    unwrapped = re.sub(r"^\w+=\$\((.*)\)[ \t]*$", r"\1", joined, flags=re.M)
    commands: list[list[str]] = []
    pending = ""
    for line in unwrapped.splitlines(keepends=True):
        pending += line
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on (a JSON value's lines)
            continue
        if words:
            commands.append(words)
        pending = ""
    assert not pending.strip(), f"unterminated command: {pending!r}"
    return commands


def _value(shape: Shape, words: list[str]) -> Any:
    kind = shape.type_name
    if kind == "boolean":
        return True if not words else words[0].lower() == "true"
    if kind in ("structure", "map"):
        (word,) = words
        if word.startswith("{"):
            return json.loads(word)
        return {
            key: _scalar(shape.members[key], value)  # type: ignore[attr-defined]
            for key, value in (pair.split("=", 1) for pair in word.split(","))
        }
    if kind == "list":
        if len(words) == 1 and words[0].startswith("["):
            return json.loads(words[0])
        member = shape.member  # type: ignore[attr-defined]
        return [_value(member, [w]) for w in words]
    (word,) = words
    return _scalar(shape, word)


def _scalar(shape: Shape, word: str) -> Any:
    if shape.type_name in ("integer", "long"):
        return int(word)
    if shape.type_name == "boolean":
        return word.lower() == "true"
    return word


def _options(words: list[str]) -> list[tuple[str, list[str]]]:
    options: list[tuple[str, list[str]]] = []
    for word in words:
        if word.startswith("--"):
            options.append((word, []))
        else:
            assert options, f"a value before any option: {word!r}"
            options[-1][1].append(word)
    return options


def _to_params(model: OperationModel, words: list[str]) -> dict[str, Any]:
    shape = model.input_shape
    assert shape is not None
    by_option = {"--" + botocore.xform_name(name, "-"): name for name in shape.members}
    params: dict[str, Any] = {}
    short: dict[str, str] = {}
    for option, values in _options(words):
        if option in _GLOBAL:
            assert len(values) == _GLOBAL[option], (option, values)
            continue
        if option in ("--ingress", "--egress") and "Egress" in shape.members:
            assert not values
            params["Egress"] = option == "--egress"
            continue
        if option in _SG_SHORT and "IpPermissions" in shape.members:
            (short[option],) = values
            continue
        if option == "--cli-input-json":
            params.update(json.loads(values[0]))
            continue
        negated = option.startswith("--no-") and "--" + option[5:] in by_option
        name = by_option.get("--" + option[5:] if negated else option)
        assert name is not None, f"{model.name} has no option {option}"
        params[name] = False if negated else _value(shape.members[name], values)
    if short:
        low, _, high = short.get("--port", "-1").partition("-")
        permission: dict[str, Any] = {"IpProtocol": short["--protocol"]}
        if short.get("--port") not in (None, "-1"):
            permission |= {"FromPort": int(low), "ToPort": int(high or low)}
        if "--cidr" in short:
            permission["IpRanges"] = [{"CidrIp": short["--cidr"]}]
        if "--source-group" in short:
            permission["UserIdGroupPairs"] = [{"GroupId": short["--source-group"]}]
        params["IpPermissions"] = [permission]
    return params


def parse_awscli(script: str) -> list[AwsCall]:
    """Every AWS call of a generated shell script, validated against the EC2 model."""
    _bash_syntax(script)
    calls: list[AwsCall] = []
    for words in _commands(script):
        assert words[1] == "ec2", words
        operation = next(
            op for op in _EC2.operation_names if botocore.xform_name(op, "-") == words[2]
        )
        model = _EC2.operation_model(operation)
        params = _to_params(model, words[3:])
        report = ParamValidator().validate(params, model.input_shape)
        assert not report.has_errors(), f"{operation}: {report.generate_report()}"
        calls.append((operation, params))
    return calls


def _plain(value: Any) -> Any:
    """python-hcl2 (v7+) keeps HCL's quotes on strings and marks blocks: drop both."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)  # HCL's escapes are JSON's for what netmend writes
    return value


def parse_terraform(text: str) -> dict[str, Any]:
    """The Terraform file as python-hcl2 reads it, strings unquoted."""
    return _plain(hcl2.loads(text))  # type: ignore[no-any-return]


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (``!Ref X`` is ``{"Ref": "X"}``)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def parse_cloudformation(text: str) -> dict[str, Any]:
    """The template as CloudFormation reads it: one YAML mapping with ``Resources``."""
    document = yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506  # a SafeLoader
    assert isinstance(document, dict), text
    return document
