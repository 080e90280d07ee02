"""YAML read with ruamel's round-trip loader: plain data for pydantic, lines for errors.

Playbooks, intents files and the config file all report ``FILE:LINE: reason``; they share
these helpers to turn a validation error's location back into a line, and ``load_yaml``,
which parses within limits: such a file is a few kB, so anything over 1 MiB, nested
deeper than 64 levels or expanding to more than 100,000 nodes (aliases count each time
they are used, so an alias bomb stops at the limit instead of eating memory) is refused
as ``YamlInputError`` before any model sees it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.reader import ReaderError

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "YamlInputError",
    "line_of",
    "load_yaml",
    "plain",
]

MAX_YAML_BYTES = 1 << 20
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 100_000


class YamlInputError(ValueError):
    """A YAML text refused before parsing it into data: beyond the size, depth or node
    limits, or holding characters YAML does not allow; ``line`` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _line(node: Any, fallback: int) -> int:
    if isinstance(node, CommentedMap | CommentedSeq):
        return int(node.lc.line) + 1
    return fallback


def _check_limits(root: Any) -> None:
    """Walk the parsed tree without recursion, counting nodes and depth."""
    stack: list[tuple[Any, int, int]] = [(root, 1, 1)]
    nodes = 0
    while stack:
        node, depth, line = stack.pop()
        nodes += 1
        line = _line(node, line)
        if nodes > MAX_YAML_NODES:
            raise YamlInputError(
                line, f"too many values (over {MAX_YAML_NODES:,}; aliases count each use)"
            )
        if depth > MAX_YAML_DEPTH:
            raise YamlInputError(line, f"nested deeper than {MAX_YAML_DEPTH} levels")
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1, line) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1, line) for v in node)


def load_yaml(text: str) -> Any:
    """ruamel's round-trip document of ``text`` (lines kept), within the limits.

    Raises YamlInputError for a text too large, too deep, too big once aliases are
    expanded or holding a character YAML forbids, and ruamel's YAMLError otherwise.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise YamlInputError(1, f"file too large ({size:,} bytes; the limit is 1 MiB)")
    try:
        root = YAML(typ="rt").load(text)
    except RecursionError:
        raise YamlInputError(1, f"nested deeper than {MAX_YAML_DEPTH} levels") from None
    except ReaderError as error:  # no mark: its line comes from the character's position
        line = text[: max(0, int(error.position))].count("\n") + 1
        raise YamlInputError(
            line, f"character {error.character!r} is not allowed in YAML"
        ) from None
    _check_limits(root)
    return root


def plain(node: Any) -> Any:
    """ruamel's round-trip nodes as plain dicts, lists and Python scalars."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):  # ruamel's ScalarInt, ScalarFloat, quoted strings
        if isinstance(node, kind):
            return kind(node)
    return node


def line_of(root: Any, loc: Sequence[Any]) -> int:
    """The 1-based line of the node at ``loc``, or of its nearest ancestor that exists."""
    line = int(root.lc.line) + 1 if isinstance(root, CommentedMap | CommentedSeq) else 1
    node = root
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line, node = int(node.lc.key(part)[0]) + 1, node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, node = int(node.lc.item(part)[0]) + 1, node[part]
        else:
            break
    return line
