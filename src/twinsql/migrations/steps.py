"""Migrations feature, pure: what every operation is (``Operation``), a server default
written as SQL (``SQL``), and the checks several operations share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from twinsql.errors import MigrationError
from twinsql.migrations.state import Column, SchemaState

__all__ = ["SQL", "Operation", "check_enums", "irreversible"]


@dataclass(frozen=True)
class SQL:
    """A server default written as SQL (``SQL("CURRENT_TIMESTAMP")``)."""

    text: str


class Operation:
    """One step of a migration: how it changes the replayed state, what undoes it, and a
    one-line description."""

    destructive: ClassVar[bool] = False
    # False for a statement that cannot run inside a transaction (CREATE INDEX CONCURRENTLY).
    atomic: bool = True

    def apply(self, state: SchemaState) -> SchemaState:
        raise NotImplementedError

    def reverse(self, before: SchemaState) -> list[Operation]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


def irreversible(op: Operation, why: str) -> MigrationError:
    return MigrationError(f"{op.describe()} cannot be reverted: {why}")


def check_enums(state: SchemaState, table: str, columns: tuple[Column, ...]) -> None:
    for column in columns:
        if column.enum is not None and not state.has_enum(column.enum):
            raise MigrationError(
                f"column {table}.{column.name} names the enum type {column.enum!r}, which "
                "does not exist at this step (CreateEnum it first)"
            )
