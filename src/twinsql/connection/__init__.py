"""Connection feature: URLs, options, the transaction state machine (pure), and the I/O
layer — database, pool, connection, transaction, retry — written once under ``_async/``
with its sync twin generated into ``_sync/``.

This package file imports nothing, so the drivers can use the pure ``url`` module without
pulling in the I/O layer that sits above them.
"""
