"""ORM feature, facade: mixins for timestamps, soft delete and optimistic locking.

Each mixin is an abstract model (no table of its own) that adds fields and names their
role for the ORM's I/O code, which fills them in: ``created_at``/``updated_at`` in UTC on insert
and update, ``deleted_at`` on ``delete()`` (rows with it set are hidden from queries unless
``with_deleted()``/``only_deleted()``), and ``version``, checked and incremented by every
update so that a concurrent change raises ``StaleObjectError`` instead of being lost.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime

from twinsql.connection._async.database import AsyncDatabase
from twinsql.connection._sync.database import Database
from twinsql.orm._async import record as async_record
from twinsql.orm._sync import record as sync_record
from twinsql.orm.model import Model

__all__ = ["OptimisticLockMixin", "SoftDeleteMixin", "TimestampsMixin"]


class TimestampsMixin(Model):
    __abstract__: ClassVar[bool] = True
    __created_field__: ClassVar[str | None] = "created_at"
    __updated_field__: ClassVar[str | None] = "updated_at"

    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class SoftDeleteMixin(Model):
    __abstract__: ClassVar[bool] = True
    __soft_delete_field__: ClassVar[str | None] = "deleted_at"

    deleted_at: AwareDatetime | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def restore(self, *, using: Database | None = None) -> None:
        """Undo ``delete()``: clear ``deleted_at`` and save."""
        sync_record.restore(self, using=using)

    async def async_restore(self, *, using: AsyncDatabase | None = None) -> None:
        await async_record.async_restore(self, using=using)


class OptimisticLockMixin(Model):
    __abstract__: ClassVar[bool] = True
    __version_field__: ClassVar[str | None] = "version"

    version: int | None = None
