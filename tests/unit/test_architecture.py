"""The import rules of docs/architecture.md, checked on every module's own imports (AST).

``make lint`` runs this file, so a change that breaks a layer fails lint as well as the
suite. Each rule names the packages it constrains; every ``import`` and ``from ... import``
anywhere in a module counts (inside functions too: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"
PACKAGE = ENGINE / "netmend"

# The faces: they parse, call the core and render. Nothing in the core imports them.
# netmend.aws_lambda is the Lambda face of the event worker (a top-level module because
# the Lambda handler setting names it: netmend.aws_lambda.handler).
FACES = (
    "netmend.cli",
    "netmend.render",
    "netmend.chatops",
    "netmend.demo",
    "netmend.watch",
    "netmend.aws_lambda",
)
# What each lower layer may import from netmend (itself always).
MAY_IMPORT = {
    "netmend.model": (),
    "netmend.reach": ("netmend.model", "netmend.errors"),
    "netmend.aws": ("netmend.model", "netmend.reach", "netmend.errors", "netmend.log"),
}
# Below the run pipeline, a run is data: its Plan and its result, never the pipeline.
RUN_DATA = ("netmend.run.plan", "netmend.run.result")
BELOW_RUN = ("netmend.playbook", "netmend.store", "netmend.approval", "netmend.verify")
# The chat face reads no estate, resolves no flow and plans nothing itself: it builds the
# core's requests (app.requests) and calls app/ as the CLI does.
THROUGH_THE_CORE = {
    "netmend.chatops": ("netmend.aws.collector", "netmend.reach", "netmend.playbook.propose"),
}
# Libraries each confined to a few places.
CONFINED = {
    "boto3": ("netmend.aws",),
    "botocore": ("netmend.aws",),
    # The terminal approver asks its y/N question with rich.prompt, beside the summary it
    # shows (approval.summary): it is the CLI's approver, kept in approval/ beside the
    # policy and chat approvers it composes with.
    "rich": (*FACES, "netmend.approval.terminal", "netmend.approval.summary"),
    "typer": ("netmend.cli",),
    "slack_bolt": ("netmend.chatops",),
    "slack_sdk": ("netmend.chatops",),
}


def _module_name(path: Path) -> str:
    parts = path.with_suffix("").relative_to(ENGINE).parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


MODULES = sorted((_module_name(p), p) for p in PACKAGE.rglob("*.py"))


def _violations(modules: list[tuple[str, Path]] = MODULES) -> list[str]:
    found: list[str] = []
    for module, path in modules:
        for line, name in _imports(path):
            where = f"{path.name}:{line}: {module} imports {name}"
            top = name.split(".")[0]
            if top in CONFINED and not _within(module, CONFINED[top]):
                found.append(f"{where} ({top} only in {', '.join(CONFINED[top])})")
            if not name.startswith("netmend"):
                continue
            if _within(name, FACES) and not _within(module, FACES):
                found.append(f"{where} (the core never imports a face)")
            for layer, allowed in MAY_IMPORT.items():
                if _within(module, (layer,)) and not _within(name, (layer, *allowed)):
                    found.append(f"{where} ({layer} may import only {allowed or 'itself'})")
            for face, internals in THROUGH_THE_CORE.items():
                if _within(module, (face,)) and _within(name, internals):
                    found.append(f"{where} ({face} goes through app/, not {name})")
            if (
                _within(module, BELOW_RUN)
                and _within(name, ("netmend.run",))
                and not _within(name, RUN_DATA)
            ):
                found.append(f"{where} (below the run pipeline only {', '.join(RUN_DATA)})")
    return found


def test_every_module_keeps_the_import_rules() -> None:
    """No module imports across the layers of docs/architecture.md."""
    assert _violations() == []


@pytest.mark.parametrize(
    ("module", "name", "rule"),
    [
        ("netmend.aws.collector", "netmend.run.plan", "netmend.aws may import only"),
        ("netmend.reach.evaluate", "netmend.playbook", "netmend.reach may import only"),
        ("netmend.model.inventory", "netmend.reach", "netmend.model may import only"),
        ("netmend.run.runner", "netmend.render.diff", "the core never imports a face"),
        ("netmend.app.fixing", "rich.console", "rich only in"),
        ("netmend.verify.flow", "boto3", "boto3 only in"),
        ("netmend.playbook.propose", "netmend.run.runner", "below the run pipeline"),
        ("netmend.chatops.service", "netmend.reach.flow", "goes through app/"),
        ("netmend.chatops.service", "netmend.aws.collector", "goes through app/"),
    ],
)
def test_the_checker_catches_each_kind_of_violation(
    module: str, name: str, rule: str, tmp_path: Path
) -> None:
    """A planted import breaking each rule is reported (the check can fail)."""
    planted = tmp_path / "planted.py"
    planted.write_text(f"import {name}\n", encoding="utf-8")
    (problem,) = _violations([(module, planted)])
    assert rule in problem


def test_the_top_of_the_package_stays_small_and_has_no_prefix_families() -> None:
    """At most 12 modules at the top of engine/netmend; no two siblings share a prefix_."""
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert len(top) <= 12, top
    for folder in [PACKAGE, *(p.parent for p in PACKAGE.rglob("__init__.py"))]:
        stems = [p.stem for p in folder.glob("*.py") if p.stem != "__init__"]
        # policy.py beside policy_approver.py is a family as much as diff_a.py, diff_b.py.
        prefixes = [s.split("_")[0] for s in stems]
        families = {p for p in prefixes if prefixes.count(p) > 1}
        assert not families, f"{folder}: prefix families {sorted(families)}"
