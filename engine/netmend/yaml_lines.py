"""YAML read by libyaml (PyYAML's C parser): plain data for pydantic, lines for errors.

Playbooks, intents files and the config file all report ``FILE:LINE: reason``. The text
is composed into nodes by libyaml in C (each node knows its line), then turned into
dicts and lists that remember the line of every key and item (``YamlMap``,
``YamlList``): ``line_of`` turns a validation error's location back into a line and
``plain`` gives pydantic ordinary dicts and lists. Scalars follow YAML 1.2's core schema,
as ruamel's loader did before (``yes``/``no``/``on`` are strings, ``017`` is 17); a key
written twice is an error at its second line, and ``<<`` merges mappings.

It parses within limits: anything over ``max_bytes`` (1 MiB unless the caller allows
more: an intents file of 10,000 intents is about 2 MB), nested deeper than 64 levels or
expanding to more than ``max_nodes`` values (aliases count each time they are used, so
an alias bomb stops at the limit instead of eating memory) is refused as
``YamlInputError``; so is every syntax error (``YamlSyntaxError``), with its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - a PyYAML built without libyaml: same, in Python
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, text: str) -> None:
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from netmend.gc_pause import paused_gc

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "YamlInputError",
    "YamlList",
    "YamlMap",
    "YamlSyntaxError",
    "line_of",
    "load_yaml",
    "plain",
]

MAX_YAML_BYTES = 1 << 20
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 100_000


class YamlInputError(ValueError):
    """A YAML text refused: beyond the size, depth or node limits, holding characters
    YAML does not allow, or (``YamlSyntaxError``) not YAML; ``line`` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class YamlSyntaxError(YamlInputError):
    """Text that is not YAML (or a key written twice): ``problem`` at ``line``, inside
    ``context`` (what the parser was reading, from ``context_line``) when known."""

    def __init__(
        self, line: int, problem: str, context: str | None = None, context_line: int | None = None
    ) -> None:
        where = f" ({context} at line {context_line})" if context and context_line else ""
        super().__init__(line, f"YAML syntax error: {problem}{where}")
        self.problem = problem
        self.context = context
        self.context_line = context_line


class YamlMap(dict[Any, Any]):
    """A mapping read from YAML: ``line`` of the mapping, ``key_lines`` of each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YamlList(list[Any]):
    """A sequence read from YAML: ``line`` of the sequence, ``item_lines`` of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _Core12Resolver(BaseResolver):
    """YAML 1.2's core schema (PyYAML's own Resolver is YAML 1.1's: yes/no, octal 017)."""


def _implicit(tag: str, pattern: str, first: Sequence[str]) -> None:
    _Core12Resolver.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_implicit("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_implicit(
    "tag:yaml.org,2002:float",
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    "-+0123456789.",
)
_implicit(
    "tag:yaml.org,2002:int",
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+)$""",
    "-+0123456789",
)
_implicit("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")
_implicit("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_implicit(
    "tag:yaml.org,2002:timestamp",
    r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
    (?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
    (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    "0123456789",
)


class _Composer(_Parser, _Core12Resolver):
    """libyaml's parser and composer (C) with the YAML 1.2 resolver, whose answers are
    cached: an intents file repeats ``tcp``, ``allowed`` and its ports thousands of times."""

    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        _Core12Resolver.__init__(self)
        self._resolved: dict[str, str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            tag = self._resolved.get(value)
            if tag is None:
                tag = self._resolved[value] = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _float(text: str) -> float:
    digits = text.replace("_", "").lower()
    if digits.lstrip("+-") == ".inf":
        return float("-inf") if digits.startswith("-") else float("inf")
    if digits == ".nan":
        return float("nan")
    return float(digits)


class _Builder:
    """Nodes to values, counting every value (aliases each time) and the depth."""

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.nodes = 0
        self._timestamps = SafeConstructor()

    def value(self, node: Node, depth: int) -> Any:
        line = node.start_mark.line + 1
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise YamlInputError(
                line, f"too many values (over {self.max_nodes:,}; aliases count each use)"
            )
        if depth > MAX_YAML_DEPTH:
            raise YamlInputError(line, f"nested deeper than {MAX_YAML_DEPTH} levels")
        if isinstance(node, ScalarNode):
            return self._scalar(node, line)
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            items = YamlList(line)
            for item in node.value:
                items.append(self.value(item, depth + 1))
                items.item_lines.append(item.start_mark.line + 1)
            return items
        if isinstance(node, MappingNode) and node.tag == _MAP:
            return self._mapping(node, line, depth)
        raise YamlInputError(line, f"unsupported YAML tag {node.tag!r}")

    def _scalar(self, node: ScalarNode, line: int) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return text
        try:
            if tag == _INT:
                return _int(text)
            if tag == _FLOAT:
                return _float(text)
        except ValueError:
            raise YamlInputError(line, f"{text!r} is not a {tag.rsplit(':', 1)[-1]}") from None
        if tag == _BOOL:
            return text.lower() == "true"
        if tag == _NULL:
            return None
        if tag == _TIMESTAMP:
            try:
                return self._timestamps.construct_yaml_timestamp(node)
            except ValueError:
                raise YamlInputError(line, f"{text!r} is not a date or time") from None
        if tag == _MERGE:
            return "<<"
        raise YamlInputError(line, f"unsupported YAML tag {tag!r}")

    def _mapping(self, node: MappingNode, line: int, depth: int) -> YamlMap:
        mapping = YamlMap(line)
        merged: list[tuple[YamlMap, int]] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                merged += self._merge_sources(value_node, depth)
                continue
            if not isinstance(key_node, ScalarNode):
                raise YamlSyntaxError(key_line, "a mapping key must be a plain value")
            key = self._scalar(key_node, key_line)
            if key in mapping.key_lines:
                raise YamlSyntaxError(
                    key_line,
                    f"found duplicate key {key!r} (first at line {mapping.key_lines[key]})",
                    "while constructing a mapping",
                    line,
                )
            mapping[key] = self.value(value_node, depth + 1)
            mapping.key_lines[key] = key_line
        for source, source_line in merged:  # written keys win over merged ones
            for key, value in source.items():
                if key not in mapping:
                    mapping[key] = value
                    mapping.key_lines[key] = source.key_lines.get(key, source_line)
        return mapping

    def _merge_sources(self, node: Node, depth: int) -> list[tuple[YamlMap, int]]:
        line = node.start_mark.line + 1
        sources = node.value if isinstance(node, SequenceNode) else [node]
        found = []
        for source in sources:
            built = self.value(source, depth + 1)
            if not isinstance(built, YamlMap):
                raise YamlSyntaxError(line, "<< merges mappings only")
            found.append((built, line))
        return found


def _syntax_error(error: yaml.MarkedYAMLError) -> YamlInputError:
    mark = error.problem_mark
    line = mark.line + 1 if mark is not None else 1
    problem = str(error.problem or error)
    if "maximum nesting depth" in problem:
        return YamlInputError(line, f"nested deeper than {MAX_YAML_DEPTH} levels")
    context_mark = error.context_mark
    return YamlSyntaxError(
        line,
        problem,
        error.context,
        context_mark.line + 1 if error.context and context_mark is not None else None,
    )


def load_yaml(
    text: str, *, max_bytes: int = MAX_YAML_BYTES, max_nodes: int = MAX_YAML_NODES
) -> Any:
    """The document of ``text`` as YamlMap / YamlList / scalars (None when empty).

    Raises YamlInputError (with its line) for a text too large, too deep, too big once
    aliases are expanded, holding a character YAML forbids, or not YAML at all.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        limit = f"{max_bytes >> 20} MiB" if max_bytes >= 1 << 20 else f"{max_bytes:,} bytes"
        raise YamlInputError(1, f"file too large ({size:,} bytes; the limit is {limit})")
    try:
        with paused_gc():
            composer = _Composer(text)
            try:
                root = composer.get_single_node()
            finally:
                composer.dispose()
            return None if root is None else _Builder(max_nodes).value(root, 1)
    except yaml.reader.ReaderError as error:  # no mark: the line comes from its offset
        # libyaml reads the text as UTF-8: its offset counts bytes, its character is a code
        offset = max(0, int(error.position))
        line = text.encode("utf-8", "surrogatepass")[:offset].count(b"\n") + 1
        character = error.character
        shown = chr(character) if isinstance(character, int) else character
        raise YamlInputError(line, f"character {shown!r} is not allowed in YAML") from None
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error) from None
    except RecursionError:  # only the pure-Python parser recurses
        raise YamlInputError(1, f"nested deeper than {MAX_YAML_DEPTH} levels") from None
    except yaml.YAMLError as error:
        raise YamlInputError(1, f"YAML error: {error}") from None


def plain(node: Any) -> Any:
    """YAML data as plain dicts (string keys), lists and Python scalars."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def line_of(root: Any, loc: Sequence[Any]) -> int:
    """The 1-based line of the node at ``loc``, or of its nearest ancestor that exists."""
    line = root.line if isinstance(root, YamlMap | YamlList) else 1
    node = root
    for part in loc:
        if isinstance(node, YamlMap) and part in node.key_lines:
            line, node = node.key_lines[part], node[part]
        elif isinstance(node, YamlList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.item_lines[part], node[part]
        else:
            break
    return line
