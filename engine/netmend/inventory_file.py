"""Saving an Inventory to a JSON file and loading it back (``netmend inventory save``,
``--inventory FILE``).

The file is compact JSON without the fields that hold their defaults (``None``, empty
lists, AWS's defaults), except ``schema_version``, always written first: a large
account's file is then 40% of the indented, every-field form, and the peak memory of
loading it a quarter lower. Loading hands the bytes to pydantic's own JSON parser
(``model_validate_json``: no intermediate dicts) with the garbage collector paused,
and freezes what it loaded (``netmend.gc_pause``); only when that fails is the file
read again the slow way, to say exactly why. Saving is atomic (``netmend.store.atomic``:
a temporary file in the same folder, fsync'd, renamed, folder fsync'd), so a reader
never sees half a file. Loading fails
with ``InventoryFileError`` (exit 2) and one line saying why: missing file, bad JSON,
another schema version, or the first field that does not fit the model. A file over
256 MiB (a large account's inventory is tens of MB) or nested deeper than Python's JSON
parser goes is refused the same way, before it can exhaust memory or the stack.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from netmend.errors import InventoryFileError
from netmend.gc_pause import paused_gc
from netmend.model import SCHEMA_VERSION, Inventory
from netmend.store.atomic import atomic_write_text

__all__ = ["MAX_INVENTORY_BYTES", "load_inventory", "save_inventory"]

MAX_INVENTORY_BYTES = 256 << 20


def _json_of(inventory: Inventory) -> str:
    body = inventory.model_dump_json(exclude_defaults=True)
    if inventory.schema_version == SCHEMA_VERSION:  # left out as a default: put it back
        body = f'{{"schema_version":{SCHEMA_VERSION},{body[1:]}'
    return body


def save_inventory(inventory: Inventory, path: str | os.PathLike[str]) -> Path:
    """Write ``inventory`` as JSON to ``path`` atomically; returns the path written."""
    target = Path(path)
    try:
        atomic_write_text(target, _json_of(inventory) + "\n", mode=0o644)
    except OSError as error:
        raise InventoryFileError(
            f"cannot write inventory {target}: {error.strerror or error}"
        ) from error
    return target


def _first_problem(error: ValidationError) -> str:
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"field {where}: {first['msg']}{more}"


def _read(source: Path) -> bytes:
    try:
        if source.is_file() and source.stat().st_size > MAX_INVENTORY_BYTES:
            raise InventoryFileError(
                f"inventory file {source} is larger than {MAX_INVENTORY_BYTES >> 20} MiB"
            )
        return source.read_bytes()
    except FileNotFoundError as error:
        raise InventoryFileError(
            f"inventory file {source} not found; make one with `netmend inventory save`"
        ) from error
    except IsADirectoryError as error:
        raise InventoryFileError(f"inventory file {source} is a directory") from error
    except OSError as error:
        raise InventoryFileError(
            f"cannot read inventory file {source}: {error.strerror or error}"
        ) from error


def _version_problem(source: Path, version: object) -> InventoryFileError:
    return InventoryFileError(
        f"inventory file {source} has schema version {version!r}; this netmend reads "
        f"version {SCHEMA_VERSION}: save the inventory again"
    )


def _refuse(source: Path, raw: bytes, first: ValidationError) -> NoReturn:
    """Say why ``raw`` is not an inventory: the checks in the order a person fixes them
    (text, JSON, object, schema version, then the first field that does not fit)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InventoryFileError(f"inventory file {source} is not UTF-8 text") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InventoryFileError(
            f"inventory file {source} is not valid JSON: {error.msg} "
            f"at line {error.lineno} column {error.colno}"
        ) from error
    except RecursionError:
        raise InventoryFileError(f"inventory file {source} is nested too deeply") from None
    if not isinstance(data, dict):
        raise InventoryFileError(f"inventory file {source} does not hold a JSON object")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise _version_problem(source, version)
    try:
        Inventory.model_validate(data)
    except ValidationError as error:
        raise InventoryFileError(
            f"inventory file {source} does not match the model: {_first_problem(error)}"
        ) from error
    # Python's parser took what pydantic's refused (a limit of its own): say pydantic's.
    raise InventoryFileError(
        f"inventory file {source} does not match the model: {_first_problem(first)}"
    ) from first


def load_inventory(path: str | os.PathLike[str]) -> Inventory:
    """Read an inventory saved by ``save_inventory``; InventoryFileError if it cannot."""
    source = Path(path)
    raw = _read(source)
    try:
        with paused_gc(freeze=True):  # the estate stays loaded: out of the collector's way
            inventory = Inventory.model_validate_json(raw)
    except ValidationError as error:
        _refuse(source, raw, error)
    if inventory.schema_version != SCHEMA_VERSION:
        raise _version_problem(source, inventory.schema_version)
    return inventory
