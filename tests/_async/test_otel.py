# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""OpenTelemetry: spans and measurements per the database semantic conventions, read back
from the SDK's in-memory exporters, the same on every backend in both modes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import twinsql
import twinsql.otel
from tests._async.helpers import fresh_table

SYSTEM = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mysql"}
# What the server reports for a duplicate key: SQLSTATE, MySQL error number, SQLite's
# extended result code (SQLITE_CONSTRAINT_UNIQUE).
DUPLICATE_CODE = {"postgresql": "23505", "mysql": "1062", "sqlite": "2067"}


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metrics])

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def clear(self) -> None:
        self.spans.clear()

    def points(self, name: str) -> list[Any]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        found = []
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


@pytest.fixture
async def traced(
    db: twinsql.AsyncDatabase, telemetry: Telemetry
) -> AsyncIterator[twinsql.AsyncDatabase]:
    handle = twinsql.otel.instrument(
        db, tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    yield db
    handle.uninstrument()


def by_name(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


async def test_a_statement_is_one_client_span_with_the_conventions_attributes(
    traced: twinsql.AsyncDatabase, telemetry: Telemetry
) -> None:
    db = traced
    table = await fresh_table(db, "otel_t", {"id": "pk", "name": "text"})
    names = [(f"n{i}",) for i in range(500)]
    await db.execute_many(f"INSERT INTO {table} (name) VALUES (?)", names)
    telemetry.clear()
    rows = await db.execute(
        f"SELECT name FROM {table} WHERE id IN (?, ?, ?) OR name <> 'secret-literal'",
        (1, 2, 3),
    )
    assert len(rows) == 500
    spans = telemetry.finished()
    assert len(spans) == 1  # one span for the statement, none per row
    span = spans[0]
    attributes = dict(span.attributes or {})
    url = db.url
    assert span.kind is SpanKind.CLIENT
    assert span.name == "SELECT otel_t"
    assert attributes["db.system.name"] == SYSTEM[db.dialect.name]
    assert attributes["db.namespace"] == url.database
    assert attributes["db.operation.name"] == "SELECT"
    assert attributes["db.collection.name"] == "otel_t"
    assert attributes["db.query.summary"] == "SELECT otel_t"
    assert attributes["db.query.text"] == (
        f"SELECT name FROM {table} WHERE id IN (?) OR name <> ?"
    )
    if url.host is not None:
        assert attributes["server.address"] == url.host
        default_port = 5432 if url.backend == "postgresql" else 3306
        assert attributes["server.port"] == (url.port or default_port)
    else:
        assert "server.address" not in attributes
    assert all("secret" not in str(value) for value in attributes.values())
    assert span.status.status_code is StatusCode.UNSET


async def test_a_failed_statement_carries_error_type_and_status_code(
    traced: twinsql.AsyncDatabase, telemetry: Telemetry
) -> None:
    db = traced
    table = await fresh_table(db, "otel_dup", {"id": "pk", "code": "bigint UNIQUE"})
    await db.execute_non_query(f"INSERT INTO {table} (code) VALUES (?)", (7,))
    telemetry.clear()
    with pytest.raises(twinsql.UniqueViolation):
        await db.execute_non_query(f"INSERT INTO {table} (code) VALUES (?)", (7,))
    # SQLite and MySQL then read the catalog for the constraint's columns: a span of its own.
    inserts = [
        s for s in telemetry.finished() if (s.attributes or {}).get("db.operation.name") == "INSERT"
    ]
    (span,) = inserts
    attributes = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "twinsql.errors.UniqueViolation"
    assert attributes["db.response.status_code"] == DUPLICATE_CODE[db.dialect.name]
    (failed,) = [p for p in telemetry.points("db.client.operation.duration")
                 if p.attributes.get("error.type")]  # fmt: skip
    assert failed.attributes["db.response.status_code"] == DUPLICATE_CODE[db.dialect.name]
    assert failed.count == 1


async def test_transactions_and_savepoints_are_operations_around_their_statements(
    traced: twinsql.AsyncDatabase, telemetry: Telemetry
) -> None:
    db = traced
    table = await fresh_table(db, "otel_tx", {"id": "pk", "n": "bigint"})
    telemetry.clear()
    async with db.transaction():
        await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
        async with db.transaction():
            await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (2,))
    spans = telemetry.finished()
    (outer,) = by_name(spans, "transaction")
    (inner,) = by_name(spans, "savepoint")
    assert outer.kind is SpanKind.INTERNAL and inner.parent is not None
    assert inner.parent.span_id == outer.context.span_id
    inserts = by_name(spans, "INSERT otel_tx")
    assert [s.parent.span_id for s in inserts if s.parent] == [
        outer.context.span_id,
        inner.context.span_id,
    ]
    control = [s.name for s in spans if s.parent and s.parent.span_id == outer.context.span_id]
    assert control[-1] == "COMMIT" and "INSERT otel_tx" in control
    assert [s.name for s in by_name(spans, "SAVEPOINT") + by_name(spans, "RELEASE")] == [
        "SAVEPOINT",
        "RELEASE",
    ]


async def test_run_in_transaction_shows_each_attempt_and_the_retry(
    traced: twinsql.AsyncDatabase, telemetry: Telemetry
) -> None:
    db = traced
    attempts = []

    async def work(conn: twinsql.AsyncConnection) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise twinsql.SerializationFailure("could not serialize access")
        return int(await conn.execute_scalar("SELECT 1"))

    telemetry.clear()
    assert await twinsql.run_in_transaction_async(work, db, base_delay=0) == 1
    spans = telemetry.finished()
    (unit,) = by_name(spans, "run_in_transaction")
    transactions = by_name(spans, "transaction")
    assert len(transactions) == 2
    assert all(t.parent and t.parent.span_id == unit.context.span_id for t in transactions)
    assert transactions[0].status.status_code is StatusCode.ERROR
    assert transactions[1].status.status_code is StatusCode.UNSET
    assert unit.status.status_code is StatusCode.UNSET
    (retry,) = unit.events
    assert retry.name == "twinsql.retry"
    assert dict(retry.attributes or {}) == {
        "twinsql.attempt": 2,
        "error.type": "SerializationFailure",
    }


async def test_orm_calls_and_eager_levels_are_operations(
    orm_db: twinsql.AsyncDatabase, telemetry: Telemetry
) -> None:
    from tests.orm_models import Order, User

    handle = twinsql.otel.instrument(
        orm_db, tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    try:
        user = User(name="ann", email="ann@example.org")
        await user.async_save()
        for i in range(30):
            await Order(user_id=user.id, total=Decimal(i)).async_save()
        telemetry.clear()
        (loaded,) = await User.query().with_("orders").async_all()
        assert len(loaded.orders) == 30
        spans = telemetry.finished()
        (query,) = by_name(spans, "User.query")
        (level,) = by_name(spans, "User.orders")
        assert level.parent is not None and level.parent.span_id == query.context.span_id
        (select_users,) = by_name(spans, "SELECT orm_users")
        (select_orders,) = by_name(spans, "SELECT orm_orders")  # one statement, 30 rows
        assert select_users.parent is not None and select_orders.parent is not None
        assert select_users.parent.span_id == query.context.span_id
        assert select_orders.parent.span_id == level.context.span_id
        assert dict(level.attributes or {})["db.collection.name"] == "orm_orders"
        assert len(spans) == 4

        other = User(name="bob", email="bob@example.org")
        await other.async_save()
        telemetry.clear()
        found = await User.async_find(other.id)
        assert found is not None
        await found.async_delete()
        names = [s.name for s in telemetry.finished()]
        assert names == ["SELECT orm_users", "User.find", "DELETE orm_users", "User.delete"]
    finally:
        handle.uninstrument()


async def test_a_batch_is_one_operation(
    traced: twinsql.AsyncDatabase, telemetry: Telemetry
) -> None:
    db = traced
    table = await fresh_table(db, "otel_batch", {"id": "pk", "n": "bigint"})
    telemetry.clear()
    async with twinsql.AsyncSQLBatcher(db) as batcher:
        for i in range(50):
            await batcher.add_statement(f"INSERT INTO {table} (n) VALUES (?)", (i,))
    spans = telemetry.finished()
    (batch,) = by_name(spans, "batch")
    assert dict(batch.attributes or {})["twinsql.batch.statements"] == 50
    children = [s for s in spans if s.parent and s.parent.span_id == batch.context.span_id]
    assert children and all(s.kind is SpanKind.CLIENT for s in children)
    assert len(children) < 50  # merged into multi-row INSERTs: spans per batch, not per row


async def test_duration_and_pool_metrics(
    traced: twinsql.AsyncDatabase, telemetry: Telemetry
) -> None:
    db = traced
    for _ in range(3):
        await db.execute_scalar("SELECT 1")
    (selects,) = [p for p in telemetry.points("db.client.operation.duration")
                  if p.attributes.get("db.operation.name") == "SELECT"]  # fmt: skip
    assert selects.count == 3
    assert list(selects.explicit_bounds) == [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0]
    assert selects.attributes["db.system.name"] == SYSTEM[db.dialect.name]
    assert "db.query.text" not in selects.attributes  # high cardinality: spans only

    async with db.connection():
        counts = {p.attributes["db.client.connection.state"]: p.value
                  for p in telemetry.points("db.client.connection.count")}  # fmt: skip
        assert counts["used"] == 1
    stats = db.pool_stats()
    (maximum,) = telemetry.points("db.client.connection.max")
    assert maximum.value == stats.pool_size + stats.max_overflow
    (pending,) = telemetry.points("db.client.connection.pending_requests")
    assert pending.value == 0
    (timeouts,) = telemetry.points("db.client.connection.timeouts")
    assert timeouts.value == 0
    waits = telemetry.points("db.client.connection.wait_time")
    assert waits and waits[0].count >= 1


async def test_uninstrumented_databases_send_nothing(
    db: twinsql.AsyncDatabase, telemetry: Telemetry
) -> None:
    handle = twinsql.otel.instrument(db, tracer_provider=telemetry.tracer_provider)
    await db.execute_scalar("SELECT 1")
    handle.uninstrument()
    assert db.observer is None
    await db.execute_scalar("SELECT 2")
    assert [s.name for s in telemetry.finished()] == ["SELECT"]
