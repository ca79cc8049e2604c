"""OpenTelemetry tracing and metrics for twinsql (optional extra ``otel``).

Opt-in, per database, with nothing patched::

    import twinsql.otel
    telemetry = twinsql.otel.instrument(db)   # a Database or an AsyncDatabase
    ...
    telemetry.uninstrument()

The global tracer and meter providers are used unless others are given. Spans and
attributes follow the stable database semantic conventions (see ``instrument`` and
``semconv``); the README's "Observability" section lists them.
"""

from __future__ import annotations

from opentelemetry import metrics, trace

from twinsql.otel.instrument import Instrumentation, Instrumented

__all__ = ["Instrumentation", "instrument"]


def instrument(
    db: Instrumented,
    *,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
    pool_name: str | None = None,
) -> Instrumentation:
    """Trace and measure ``db`` from now on; returns the handle whose ``uninstrument()``
    stops it. ``pool_name`` names the pool in the connection metrics (default: the URL
    without its password)."""
    return Instrumentation(
        db, tracer_provider, meter_provider, pool_name=pool_name
    )
