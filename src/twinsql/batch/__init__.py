"""Batch feature: the statement batcher and its ledger.

Pure modules — ``statements`` (what a statement is and whether it may merge), ``plan``
(which statements travel together), ``queue``, ``ledger`` (each statement's final state),
``intake``, ``script`` and ``resilience`` (retry policy, circuit breaker) — decide; the I/O
source under ``_async/`` (batcher, runner, adapters, collector) acts, and ``_sync/`` is
generated from it.
"""
