"""The base of every estate model: frozen, no unknown keys, and light in memory.

A large account's inventory holds hundreds of thousands of rules and interfaces, each a
pydantic model. Besides its fields, pydantic keeps on every instance the set of field
names that were given (``model_fields_set``), a set as large as the fields' dict. The
models are frozen, so that set never changes after validation: instances given the same
fields share one set object instead of a copy each (at 10x the target estate of issue
16, about 700 MB less). ``model_copy`` copies the set before it adds to it, so sharing
is never seen from outside.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["FrozenModel"]

# Per class, the set of all its fields: what a model loaded from a saved inventory was
# given (the file writes every field), shared by all such instances.
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}
# Other "fields given" sets seen, by content; bounded so odd inputs cannot grow it
# without end (beyond the bound an instance keeps its own set, as pydantic made it).
_SHARED_SETS: dict[frozenset[str], set[str]] = {}
_MAX_SHARED_SETS = 4096


class FrozenModel(BaseModel):
    """A frozen estate model (``extra="forbid"``) whose instances share their fields set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        given = self.__pydantic_fields_set__
        every = _ALL_FIELDS.get(type(self))
        if every is None:
            every = _ALL_FIELDS.setdefault(type(self), set(type(self).__pydantic_fields__))
        if len(given) == len(every):
            object.__setattr__(self, "__pydantic_fields_set__", every)
            return
        key = frozenset(given)
        shared = _SHARED_SETS.get(key)
        if shared is None:
            if len(_SHARED_SETS) >= _MAX_SHARED_SETS:
                return
            shared = _SHARED_SETS.setdefault(key, set(given))
        object.__setattr__(self, "__pydantic_fields_set__", shared)
