"""YAML read with ruamel's round-trip loader: plain data for pydantic, lines for errors.

Playbooks, intents files and the config file all report ``FILE:LINE: reason``; they share
these two helpers to turn a validation error's location back into a line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

__all__ = ["line_of", "plain"]


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
