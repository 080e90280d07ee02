"""Loading playbooks from YAML so that every problem names its file and line.

Two passes. Shape: the YAML parses (``netmend.yaml_lines`` keeps each node's line)
and fits the ``Playbook`` model. Meaning: every ``use:`` names a registered detector
(under detect), action (propose) or verifier (verify); its ``with:`` keys and literal
values fit that step's params model (templated values are checked again once rendered,
at propose time); every template parses, uses only flow/evidence/cause/run and reaches
for nothing private. A bad playbook fails here, never half-way through a run.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from netmend.playbook.errors import PlaybookError, PlaybookIssue
from netmend.playbook.registry import actions, detectors, verifiers
from netmend.playbook.schema import Playbook, Step
from netmend.playbook.templating import check_template, is_templated
from netmend.yaml_lines import YamlInputError, YamlMap, line_of, load_yaml, plain

__all__ = [
    "BUILTIN_PACKAGE",
    "PlaybookSet",
    "builtin_playbook_files",
    "load_playbook_text",
    "load_playbooks",
    "validate_path",
]

BUILTIN_PACKAGE = "netmend.playbooks"
_SUFFIXES = (".yaml", ".yml")
_SECTIONS = ("detect", "propose", "verify")
_KIND = {"detect": "detector", "propose": "action", "verify": "verifier"}


@dataclass(frozen=True)
class PlaybookSet:
    """The playbooks a run may use: built-ins plus the user's folders, ids unique."""

    playbooks: tuple[Playbook, ...]

    def __iter__(self) -> Iterator[Playbook]:
        return iter(self.playbooks)

    def __len__(self) -> int:
        return len(self.playbooks)

    def __contains__(self, playbook_id: object) -> bool:
        return any(p.id == playbook_id for p in self.playbooks)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.playbooks)

    def get(self, playbook_id: str) -> Playbook | None:
        return next((p for p in self.playbooks if p.id == playbook_id), None)

    def require(self, playbook_id: str) -> Playbook:
        """The playbook, or PlaybookError (exit 2) naming the ids there are."""
        found = self.get(playbook_id)
        if found is None:
            raise PlaybookError(
                f"unknown playbook {playbook_id!r}{_did_you_mean(playbook_id, self.ids)} "
                f"(known: {', '.join(sorted(self.ids))})"
            )
        return found

    def by_scope(self, scope: str) -> tuple[Playbook, ...]:
        return tuple(p for p in self.playbooks if p.scope == scope)


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


# -- YAML to plain data, keeping lines -------------------------------------------------


def _dotted(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _shape_reason(error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    parent = f" in {_dotted(loc[:-1])}" if len(loc) > 1 else ""
    if error["type"] == "extra_forbidden":
        return f"unknown key {loc[-1]!r}{parent}"
    if error["type"] == "missing":
        return f"missing required key {loc[-1]!r}{parent}"
    return f"{_dotted(loc)}: {message}" if loc else message


# -- the two passes --------------------------------------------------------------------


def _annotate(playbook: Playbook, root: YamlMap, path: str) -> None:
    """Give the playbook and each written step their lines, for later messages."""
    playbook._path = path
    playbook._line = line_of(root, ("id",))
    playbook._explain_line = line_of(root, ("explain",))
    for section in _SECTIONS:
        written = section in root
        for index, step in enumerate(getattr(playbook, section)):
            step._path = path
            if not written:
                continue
            step._line = line_of(root, (section, index))
            for key in step.with_:
                step._param_lines[key] = line_of(root, (section, index, "with", key))
            if step.when is not None:
                step._param_lines["when"] = line_of(root, (section, index, "when"))


def _param_issues(step: Step, params: type[BaseModel]) -> list[PlaybookIssue]:
    """Check ``with:`` against the params model; templated values wait for rendering."""
    templated = {key for key, value in step.with_.items() if is_templated(value)}
    try:
        params.model_validate(step.with_)
    except ValidationError as exc:
        issues = []
        fields = ", ".join(params.model_fields) or "no parameters"
        for error in exc.errors():
            loc = tuple(error["loc"])
            if (loc and loc[0] in templated) or (not loc and templated):
                continue
            key = str(loc[0]) if loc else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                reason = f"{step.use}: unknown parameter {key!r} (it takes: {fields})"
            elif error["type"] == "missing":
                reason = f"{step.use}: missing parameter {key!r}"
            else:
                reason = f"{step.use}: {_dotted(loc) or 'with'}: {message}"
            line = step.param_line(key) if key else step.line
            issues.append(PlaybookIssue(step.path, line, reason))
        return issues
    return []


def _template_issues(step: Step) -> list[PlaybookIssue]:
    issues = []
    for key, value in step.with_.items():
        for text in _strings(value):
            problem = check_template(text) if is_templated(text) else None
            if problem is not None:
                issues.append(PlaybookIssue(step.path, step.param_line(key), problem))
    if step.when is not None:
        problem = check_template(step.when, bare=not is_templated(step.when))
        if problem is not None:
            issues.append(PlaybookIssue(step.path, step.param_line("when"), f"when: {problem}"))
    return issues


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _meaning_issues(playbook: Playbook) -> list[PlaybookIssue]:
    registries: dict[str, Mapping[str, Any]] = {
        "detect": detectors(),
        "propose": actions(),
        "verify": verifiers(),
    }
    issues: list[PlaybookIssue] = []
    for section in _SECTIONS:
        registry = registries[section]
        for step in getattr(playbook, section):
            entry = registry.get(step.use)
            if entry is None:
                reason = _unknown_step(section, step.use, registries)
                issues.append(PlaybookIssue(step.path, step.line, reason))
                continue
            issues.extend(_param_issues(step, entry.params))
            issues.extend(_template_issues(step))
    problem = check_template(playbook.explain)
    if problem is not None:
        issues.append(PlaybookIssue(playbook.path, playbook.explain_line, f"explain: {problem}"))
    return issues


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _unknown_step(section: str, name: str, registries: Mapping[str, Mapping[str, Any]]) -> str:
    kind = _KIND[section]
    for other, registry in registries.items():
        if other != section and name in registry:
            return f"{name!r} is {_a(_KIND[other])}, not {_a(kind)}: it belongs under {other}:"
    known = list(registries[section])
    return f"unknown {kind} {name!r}{_did_you_mean(name, known)} (known: {', '.join(known)})"


def _parse(text: str, path: str) -> tuple[Playbook | None, list[PlaybookIssue]]:
    try:
        root = load_yaml(text)
    except YamlInputError as exc:
        return None, [PlaybookIssue(path, exc.line, exc.reason)]
    if root is None:
        return None, [PlaybookIssue(path, 1, "empty file: a playbook needs id, title, ...")]
    if not isinstance(root, YamlMap):
        got = type(plain(root)).__name__
        reason = f"a playbook is a mapping (id: ..., title: ...), got a {got}"
        return None, [PlaybookIssue(path, 1, reason)]
    try:
        playbook = Playbook.model_validate(plain(root))
    except ValidationError as exc:
        return None, [
            PlaybookIssue(path, line_of(root, tuple(e["loc"])), _shape_reason(e))
            for e in exc.errors()
        ]
    _annotate(playbook, root, path)
    return playbook, _meaning_issues(playbook)


def load_playbook_text(text: str, path: str = "<playbook>") -> Playbook:
    """One playbook from YAML text; PlaybookError (``path:line: reason``) if it is bad."""
    playbook, issues = _parse(text, path)
    if issues or playbook is None:
        raise PlaybookError(issues)
    return playbook


@functools.lru_cache(maxsize=256)
def _parse_file(text: str, path: str) -> tuple[Playbook | None, tuple[PlaybookIssue, ...]]:
    # Every fix, scan and worker event loads every playbook; parsing and checking the
    # built-in ones again in one process gives the same frozen result each time (the
    # step registries are fixed once loaded), so a file's (text, path) is parsed once.
    playbook, issues = _parse(text, path)
    return playbook, tuple(issues)


# -- files and folders -----------------------------------------------------------------


def builtin_playbook_files() -> list[Traversable]:
    """The playbooks shipped in the data package ``netmend.playbooks``, by name."""
    folder = files(BUILTIN_PACKAGE)
    return sorted(
        (f for f in folder.iterdir() if f.is_file() and f.name.endswith(_SUFFIXES)),
        key=lambda f: f.name,
    )


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(_SUFFIXES))


def _load_all(sources: Sequence[Traversable | Path], issues: list[PlaybookIssue]) -> list[Playbook]:
    loaded: dict[str, Playbook] = {}
    for source in sources:
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(PlaybookIssue(str(source), None, f"cannot read: {exc}"))
            continue
        playbook, found = _parse_file(text, str(source))
        issues.extend(found)
        if playbook is None or found:
            continue
        other = loaded.get(playbook.id)
        if other is not None:
            reason = f"duplicate playbook id {playbook.id!r}: also defined at {other.location}"
            issues.append(PlaybookIssue(playbook.path, playbook.line, reason))
            continue
        loaded[playbook.id] = playbook
    return list(loaded.values())


def load_playbooks(extra_dirs: Sequence[Path] = ()) -> PlaybookSet:
    """The built-in playbooks plus every ``*.yaml`` in ``extra_dirs`` (``--playbooks DIR``,
    ``playbook_dirs`` in the config). Any bad file or duplicate id raises PlaybookError
    listing every issue."""
    issues: list[PlaybookIssue] = []
    sources: list[Traversable | Path] = list(builtin_playbook_files())
    for folder in extra_dirs:
        if not Path(folder).is_dir():
            issues.append(PlaybookIssue(str(folder), None, "no such playbook folder"))
            continue
        sources.extend(_folder_files(Path(folder)))
    playbooks = _load_all(sources, issues)
    if issues:
        raise PlaybookError(issues)
    return PlaybookSet(tuple(playbooks))


def validate_path(path: Path) -> list[Playbook]:
    """Validate one playbook file or every ``*.yaml`` in a folder (`playbooks validate`)."""
    target = Path(path)
    if target.is_dir():
        sources: list[Traversable | Path] = list(_folder_files(target))
        if not sources:
            raise PlaybookError.at(str(target), None, "no playbook files (*.yaml) here")
    elif target.is_file():
        sources = [target]
    else:
        raise PlaybookError.at(str(target), None, "no such file or folder")
    issues: list[PlaybookIssue] = []
    playbooks = _load_all(sources, issues)
    if issues:
        raise PlaybookError(issues)
    return playbooks
