"""The enum evolution the migration tests replay: a ticket model whose status enum gains
a value, loses one, and whose enum field goes away (shared by the pure and the database
tests)."""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from twinsql import Model, Registry

# The values of the status enum at each version; None: the model has no status field.
STATUS_VALUES: dict[int, tuple[str, ...] | None] = {
    1: ("open", "closed"),
    2: ("open", "closed", "on hold"),
    3: ("closed", "open"),
    4: None,
}


def ticket_models(version: int) -> list[type[Any]]:
    class Base(Model):
        __abstract__: ClassVar[bool] = True
        __registry__ = Registry(f"enum-tickets-{version}")

    values = STATUS_VALUES[version]
    namespace: dict[str, Any] = {
        "__table_name__": "mge_tickets",
        "__module__": __name__,
        "__annotations__": {"id": "int | None", "title": "str"},
        "id": None,
    }
    if values is not None:
        status = enum.Enum(  # type: ignore[misc]
            f"Status{version}", [(v.upper().replace(" ", "_"), v) for v in values]
        )
        namespace["__annotations__"]["status"] = status
        namespace["status"] = status("open")
    ticket: type[Any] = type(Model)("Ticket", (Base,), namespace)
    return [ticket]
