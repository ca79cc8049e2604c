"""Integrations, FastAPI: the lifespan helper.

``lifespan(*databases, models=…, lifespan=…)`` is what ``FastAPI(lifespan=…)`` takes. At
startup it runs ``SELECT 1`` on each database, so that a wrong URL or an unreachable server
stops the app before it serves a request rather than at its first request; binds the
models to the databases; then runs the app's own lifespan inside (which can rely on the
database being open and bound, e.g. to create tables). On shutdown, after the app's own
lifespan has ended, it closes every database: no connection is left open.

A sync ``Database`` is opened and closed on a worker thread, never on the event loop.
twinsql has no migrations yet: what creates or changes the schema belongs in the app's own
lifespan, which runs with the databases open and the models bound.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import anyio.to_thread

from twinsql import errors
from twinsql.connection._async.database import AsyncDatabase
from twinsql.connection._sync.database import Database
from twinsql.orm.model import Model

__all__ = ["lifespan"]

AppT = TypeVar("AppT")
Lifespan = Callable[[AppT], AbstractAsyncContextManager[Mapping[str, Any] | None]]


def lifespan(
    *databases: Database | AsyncDatabase,
    models: Iterable[type[Model]] = (),
    lifespan: Lifespan[AppT] | None = None,
) -> Lifespan[AppT]:
    """A lifespan for ``FastAPI(lifespan=…)`` (or Starlette) that opens ``databases``, binds
    ``models`` to them (to at most one ``Database`` and one ``AsyncDatabase``: a model holds
    one of each), runs the app's own ``lifespan`` inside and closes the databases at the
    end. The state the app's lifespan yields is passed on."""
    if not databases:
        raise errors.ArgumentError("lifespan() needs at least one database")
    for db in databases:
        if not isinstance(db, (Database, AsyncDatabase)):
            raise errors.ArgumentError(
                f"lifespan() takes twinsql databases, not {type(db).__name__}"
            )
    bound = list(models)
    if bound and (
        sum(isinstance(db, AsyncDatabase) for db in databases) > 1
        or sum(isinstance(db, Database) for db in databases) > 1
    ):
        raise errors.ArgumentError(
            "models can be bound to one Database and one AsyncDatabase; with more databases "
            "bind each model yourself (Model.bind(db)) and pass no models"
        )
    inner = lifespan

    @asynccontextmanager
    async def run(app: AppT) -> AsyncIterator[Mapping[str, Any] | None]:
        opened: list[Database | AsyncDatabase] = []
        try:
            for db in databases:
                opened.append(db)
                await _check(db)
            for model in bound:
                for db in databases:
                    model.bind(db)
            if inner is None:
                yield None
            else:
                async with inner(app) as state:
                    yield state
        finally:
            for db in reversed(opened):
                await _close(db)

    return run


async def _check(db: Database | AsyncDatabase) -> None:
    if isinstance(db, AsyncDatabase):
        await db.execute_scalar("SELECT 1")
    else:
        await anyio.to_thread.run_sync(db.execute_scalar, "SELECT 1")


async def _close(db: Database | AsyncDatabase) -> None:
    if isinstance(db, AsyncDatabase):
        await db.close()
    else:
        await anyio.to_thread.run_sync(db.close)
