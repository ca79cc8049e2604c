"""OpenTelemetry tracing and metrics for twinsql (optional extra ``otel``)."""
