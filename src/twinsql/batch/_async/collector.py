# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Batch feature, I/O: query collectors — a record of every statement the batcher sends.

``AsyncQueryCollector`` (and its generated twin ``QueryCollector``) receives one
``collect(query, metadata)`` call just before each round trip the batcher makes (or, in a dry
run, would make; a retried batch is collected again with a higher ``attempt``): ``query`` is
the SQL as sent (in the driver's placeholder style; a multi-row INSERT
as one statement; ``COPY … FROM STDIN`` for a COPY) and ``metadata`` a dict with ``batch``,
``kind`` (``single``/``values``/``many``/``copy``), ``indices`` (the first and last statement
index it carries), ``statements``, ``params`` (the bound values), ``attempt``, ``dry_run`` and any
``metadata`` given to ``flush``. Subclass it to ship the records elsewhere; the async
methods may await.

The two classes have the same methods, awaited in the async one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AsyncListQueryCollector", "AsyncQueryCollector"]


class AsyncQueryCollector:
    """Keeps every collected record in memory, in order."""

    def __init__(self) -> None:
        self._records: list[dict[str, Any]] = []

    async def collect(self, query: str, metadata: dict[str, Any] | None = None) -> None:
        """Record one statement sent (or, in a dry run, planned)."""
        self._records.append({"query": query, "metadata": dict(metadata or {})})

    async def get_all(self) -> list[dict[str, Any]]:
        """Every record as ``{"query": …, "metadata": {…}}``, oldest first."""
        return list(self._records)

    async def get_count(self) -> int:
        return len(self._records)

    async def clear(self) -> None:
        self._records.clear()

    async def reset(self) -> None:
        """Same as ``clear`` (both names are kept)."""
        self._records.clear()


class AsyncListQueryCollector(AsyncQueryCollector):
    """A collector that also lists the queries alone."""

    async def get_queries(self) -> list[str]:
        """The collected SQL texts, oldest first."""
        return [record["query"] for record in self._records]
