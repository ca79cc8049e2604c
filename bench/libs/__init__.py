"""One module per library: the clients that run the workloads' operations.

``raw_sync`` / ``raw_async`` (the drivers used directly: the baselines), ``tw`` (twinsql,
with its models in ``tw_models``), ``sqla`` (SQLAlchemy 2, with ``sqla_models``),
``tortoise_lib``, ``piccolo_lib`` and ``peewee_lib``. ``common`` holds what they share: the
plain slots dataclasses of the raw object floor and the hand-written SQL. ``cell.py`` imports
only the module of the library it measures.
"""
