"""Rendering playbook templates in jinja2's sandbox, strictly.

Playbook authors are trusted less than code: templates render in an immutable sandbox
(no ``__class__``-style escapes, no mutating the evidence other steps read) with
``StrictUndefined`` (a misspelt name is an error naming it, never an empty string). A
value that is one whole ``{{ expr }}`` keeps its native type, so ``"{{ flow.port }}"``
renders to the int 8443, not the string "8443"; any other text renders to a string.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, Undefined, UndefinedError
from jinja2 import nodes as jnodes
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from netmend.playbook.errors import PlaybookError

__all__ = [
    "CONTEXT_NAMES",
    "check_template",
    "is_templated",
    "render_text",
    "render_value",
    "render_when",
]

# The names a template may use; anything else is caught when the playbook loads.
CONTEXT_NAMES = frozenset({"flow", "evidence", "cause", "run"})

_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)
_MAX_REPEAT = 10_000  # `"x" * n` and `2 ** n` are capped: a template must not eat memory


def _capped_mul(left: Any, right: Any) -> Any:
    if isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple):
        count = right if isinstance(left, str | list | tuple) else left
        if isinstance(count, int) and count > _MAX_REPEAT:
            raise SecurityError(f"repetition by {count} exceeds {_MAX_REPEAT}")
    return operator.mul(left, right)


def _capped_pow(left: Any, right: Any) -> Any:
    if isinstance(right, int | float) and abs(right) > 100:
        raise SecurityError(f"exponent {right} exceeds 100")
    return operator.pow(left, right)


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})
    _capped: Mapping[str, Callable[[Any, Any], Any]] = {"*": _capped_mul, "**": _capped_pow}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return self._capped[operator](left, right)


_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
# Only harmless helpers stay global; cycler/joiner/namespace/lipsum serve no playbook.
for _name in ("lipsum", "cycler", "joiner", "namespace"):
    _ENV.globals.pop(_name, None)


def is_templated(value: Any) -> bool:
    """True when a value (or anything nested in it) holds jinja2 syntax."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, Mapping):
        return any(is_templated(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_templated(v) for v in value)
    return False


def _whole_expression(text: str) -> str | None:
    match = _WHOLE_EXPRESSION.match(text)
    if match is None:
        return None
    expr = match.group("expr")
    if "{{" in expr or "}}" in expr or "{%" in text:
        return None
    return expr


def _unsafe_names(tree: jnodes.Node) -> list[str]:
    """Attribute or item names a template reaches for that the sandbox would refuse."""
    found: list[str] = []
    for node in tree.find_all((jnodes.Getattr, jnodes.Getitem, jnodes.Filter)):
        name: Any = None
        if isinstance(node, jnodes.Getattr):
            name = node.attr
        elif isinstance(node, jnodes.Getitem) and isinstance(node.arg, jnodes.Const):
            name = node.arg.value
        elif isinstance(node, jnodes.Filter) and node.name == "attr" and node.args:
            first = node.args[0]
            name = first.value if isinstance(first, jnodes.Const) else None
        if isinstance(name, str) and name.startswith("_"):
            found.append(name)
    return found


def _parse(text: str, *, bare: bool) -> jnodes.Template:
    source = "{{ " + text + " }}" if bare else text
    return _ENV.parse(source)


def check_template(text: str, *, bare: bool = False) -> str | None:
    """Why a template can never render (syntax, unknown name, unsafe access), or None.

    ``bare`` reads the text as one expression without braces (``when: evidence.unused``).
    The loader calls this so a bad template fails when the playbook loads, not mid-run.
    """
    try:
        tree = _parse(text, bare=bare)
    except TemplateSyntaxError as exc:
        return f"template syntax error in {text!r}: {exc.message}"
    unsafe = sorted(set(_unsafe_names(tree)), key=text.find)
    if unsafe:
        names = ", ".join(repr(n) for n in unsafe)
        return f"refused: template {text!r} reaches for {names}: private attributes are off limits"
    unknown = sorted(find_undeclared_variables(tree) - CONTEXT_NAMES - set(_ENV.globals))
    if unknown:
        known = ", ".join(sorted(CONTEXT_NAMES))
        return f"template {text!r} uses unknown name {unknown[0]!r} (known: {known})"
    return None


def _raise_if_undefined(value: Any) -> None:
    """Expressions return Undefined instead of raising; make them raise (strictly)."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    elif isinstance(value, Mapping):
        for item in value.values():
            _raise_if_undefined(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _raise_if_undefined(item)


# A scan renders the same few templates for thousands of findings: compile each once.
# Compiled templates are immutable, so sharing them across threads is safe.
@lru_cache(maxsize=1024)
def _checked(text: str, bare: bool) -> str | None:
    return check_template(text, bare=bare)


@lru_cache(maxsize=1024)
def _expression(expr: str) -> Any:
    return _ENV.compile_expression(expr, undefined_to_none=False)


@lru_cache(maxsize=1024)
def _template(text: str) -> Any:
    return _ENV.from_string(text)


def _evaluate(
    text: str, context: Mapping[str, Any], where: str, *, bare: bool, native: bool
) -> Any:
    problem = _checked(text, bare)
    if problem is not None:
        raise PlaybookError(f"{where}: {problem}")
    expr = text if bare else (_whole_expression(text) if native else None)
    try:
        if expr is not None:
            result = _expression(expr)(**context)
            _raise_if_undefined(result)
            return result
        return _template(text).render(**context)
    except SecurityError as exc:
        raise PlaybookError(f"{where}: refused: template {text!r}: {exc}") from None
    except UndefinedError as exc:
        raise PlaybookError(f"{where}: template {text!r}: {exc.message}") from None
    except TemplateError as exc:
        raise PlaybookError(f"{where}: template {text!r}: {exc.message}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise PlaybookError(f"{where}: template {text!r} failed: {exc}") from None


def render_value(value: Any, context: Mapping[str, Any], where: str) -> Any:
    """Render every template in a (nested) value; a whole ``{{ expr }}`` keeps its type."""
    if isinstance(value, str):
        if not is_templated(value):
            return value
        return _evaluate(value, context, where, bare=False, native=True)
    if isinstance(value, Mapping):
        return {k: render_value(v, context, where) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(v, context, where) for v in value]
    return value


def render_text(template: str, context: Mapping[str, Any], where: str) -> str:
    """Render a template to text (``explain``)."""
    if not is_templated(template):
        return template
    return str(_evaluate(template, context, where, bare=False, native=False))


_FALSE_WORDS = frozenset({"", "false", "no", "off", "0", "none", "null"})


def render_when(condition: str, context: Mapping[str, Any], where: str) -> bool:
    """Whether a step's ``when`` holds; text without braces is read as one expression."""
    bare = not is_templated(condition)
    result = _evaluate(condition, context, where, bare=bare, native=True)
    if isinstance(result, str):
        return result.strip().lower() not in _FALSE_WORDS
    return bool(result)
