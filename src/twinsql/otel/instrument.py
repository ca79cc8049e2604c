"""OpenTelemetry integration: the observer that turns a database's work into spans and
measurements (``twinsql.otel.instrument``).

One span per logical operation, never per row: a CLIENT span per call sent to the server
(statements and transaction control alike, named by ``db.query.summary``), and an INTERNAL
span around each transaction or savepoint block, ORM call, eager-load level and batch, so
the calls nest under what caused them. Every call is also measured in the histogram
``db.client.operation.duration``; the pool is read by observable instruments
(``db.client.connection.*``). What the attributes say comes from ``twinsql.otel.semconv``.
The same hooks run in both modes, so sync and async work give the same telemetry.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import SpanKind, Status, StatusCode

from twinsql.connection.observe import Observer
from twinsql.connection.options import PoolStats
from twinsql.connection.url import DatabaseURL
from twinsql.otel.semconv import (
    DURATION_BUCKETS,
    database_attributes,
    error_attributes,
    query_shape,
)

__all__ = ["Instrumentation", "Instrumented"]

SCOPE = "twinsql"
_METRIC_KEYS = ("db.system.name", "db.namespace", "server.address", "server.port")


class Instrumented(Protocol):
    """A ``Database`` or an ``AsyncDatabase``."""

    @property
    def url(self) -> DatabaseURL: ...
    @property
    def dialect(self) -> Any: ...
    def pool_stats(self) -> PoolStats: ...
    def add_observer(self, observer: Observer) -> None: ...
    def remove_observer(self, observer: Observer) -> None: ...


class Instrumentation(Observer):
    """The telemetry of one database; ``uninstrument()`` stops it."""

    def __init__(
        self,
        db: Instrumented,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        *,
        pool_name: str | None = None,
    ) -> None:
        self._db = db
        self._lexer = db.dialect.lexer
        self._base = database_attributes(db.url)
        self._metric_base = {k: v for k, v in self._base.items() if k in _METRIC_KEYS}
        self._tracer = trace.get_tracer(SCOPE, tracer_provider=tracer_provider)
        meter = metrics.get_meter(SCOPE, meter_provider=meter_provider)
        self._duration = _histogram(meter)
        self._pool_attributes = {"db.client.connection.pool.name": pool_name or db.url.redacted()}
        self._wait_time = meter.create_histogram(
            "db.client.connection.wait_time",
            unit="s",
            description="The time it took to obtain an open connection from the pool.",
        )
        meter.create_observable_up_down_counter(
            "db.client.connection.count", [self._count], unit="{connection}",
            description="The number of connections that are currently in the state described "
            "by the state attribute.",
        )  # fmt: skip
        meter.create_observable_up_down_counter(
            "db.client.connection.max", [self._max], unit="{connection}",
            description="The maximum number of open connections allowed.",
        )  # fmt: skip
        meter.create_observable_up_down_counter(
            "db.client.connection.pending_requests", [self._pending], unit="{request}",
            description="The number of current pending requests for an open connection.",
        )  # fmt: skip
        meter.create_observable_counter(
            "db.client.connection.timeouts", [self._timeouts], unit="{timeout}",
            description="The number of connection timeouts that have occurred trying to "
            "obtain a connection from the pool.",
        )  # fmt: skip
        self._active = True
        db.add_observer(self)

    def uninstrument(self) -> None:
        """Stop: no more spans or measurements from this database."""
        if self._active:
            self._active = False
            self._db.remove_observer(self)

    # -- calls ------------------------------------------------------------------------------

    def call_started(self, sql: str, params: Any, control: bool) -> object:
        shape = query_shape(sql, self._lexer)
        attributes = dict(self._base)
        attributes["db.query.text"] = shape.text
        attributes["db.query.summary"] = shape.summary
        if shape.operation:
            attributes["db.operation.name"] = shape.operation
        if shape.collection:
            attributes["db.collection.name"] = shape.collection
        span = self._tracer.start_span(shape.summary, kind=SpanKind.CLIENT, attributes=attributes)
        return span, shape, time.perf_counter()

    def call_ended(self, handle: object, error: BaseException | None) -> None:
        assert isinstance(handle, tuple)
        span, shape, started = handle
        elapsed = time.perf_counter() - started
        measured = dict(self._metric_base)
        if shape.operation:
            measured["db.operation.name"] = shape.operation
        if shape.collection:
            measured["db.collection.name"] = shape.collection
        if error is not None:
            failure = error_attributes(error)
            measured.update(failure)
            span.set_attributes(failure)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        self._duration.record(elapsed, measured)
        span.end()

    # -- operations and events ----------------------------------------------------------------

    def operation(
        self, kind: str, name: str, attributes: Mapping[str, Any] | None = None
    ) -> AbstractContextManager[Any]:
        merged = dict(self._base)
        merged["twinsql.operation"] = kind
        if attributes:
            merged.update(attributes)
        return self._tracer.start_as_current_span(name, kind=SpanKind.INTERNAL, attributes=merged)

    def event(self, name: str, attributes: Mapping[str, Any] | None = None) -> None:
        if name == "pool.wait":
            assert attributes is not None
            self._wait_time.record(attributes["seconds"], self._pool_attributes)
            return
        trace.get_current_span().add_event(name, dict(attributes or {}))

    # -- the pool, read when metrics are collected ----------------------------------------------

    def _stats(self) -> PoolStats | None:
        return self._db.pool_stats() if self._active else None

    def _count(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats()
        if stats is None:
            return []
        state = "db.client.connection.state"
        return [
            Observation(stats.idle, {**self._pool_attributes, state: "idle"}),
            Observation(stats.checked_out, {**self._pool_attributes, state: "used"}),
        ]

    def _max(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats()
        if stats is None:
            return []
        return [Observation(stats.pool_size + stats.max_overflow, self._pool_attributes)]

    def _pending(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats()
        return [] if stats is None else [Observation(stats.waiting, self._pool_attributes)]

    def _timeouts(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats()
        return [] if stats is None else [Observation(stats.timeouts, self._pool_attributes)]


def _histogram(meter: metrics.Meter) -> metrics.Histogram:
    """``db.client.operation.duration`` with the advised buckets (the advisory parameter
    exists from opentelemetry-api 1.23 on; an older API gets the SDK's default buckets)."""
    description = "Duration of database client operations."
    try:
        return meter.create_histogram(
            "db.client.operation.duration", unit="s", description=description,
            explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
        )  # fmt: skip
    except TypeError:
        return meter.create_histogram(
            "db.client.operation.duration", unit="s", description=description
        )
