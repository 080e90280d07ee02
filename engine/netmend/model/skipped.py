"""Items the collector could not read: skipped, never silently dropped.

One describe item that does not parse (a shape netmend does not know yet) must not abort
the whole inventory. It is left out with a warning naming its id and the field, and the
inventory keeps the record so that ``diagnose`` can say when a flow touches it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["SkippedItem"]


class SkippedItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    resource_type: str  # the describe call's result key: Subnets, NetworkInterfaces, ...
    resource_id: str  # the item's id, or "?" when even that is missing
    field: str  # the field that could not be read
    reason: str
    vpc_id: str | None = None
    subnet_id: str | None = None

    @property
    def text(self) -> str:
        return f"{self.resource_id} ({self.resource_type}) was skipped: {self.field}: {self.reason}"
