"""ORM feature: ``Model``, ``Query`` and relations (the facade), over pure modules — ``meta``,
``fields``, ``types``, ``state``, ``ddl``, ``query_state``, ``relation_spec``, ``persist``,
``bulk``, ``eager`` — and the I/O source under ``_async/`` (record, terminals, loading,
schema) whose sync twin is ``_sync/``.
"""
