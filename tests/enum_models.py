"""Models with enum fields, for the enum tests (ORM round trips and migrations)."""

from __future__ import annotations

import enum
from typing import ClassVar

import twinsql


class Status(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    HELD = "on hold"  # a space and a quote-free value


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class EnumBase(twinsql.Model):
    __abstract__: ClassVar[bool] = True


class Ticket(EnumBase):
    __table_name__ = "en_tickets"
    id: int | None = None
    title: str
    status: Status = Status.OPEN
    previous: Status | None = None
    priority: Priority = Priority.LOW
