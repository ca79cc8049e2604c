"""Migrations feature: schema changes generated from the models, applied in either mode.

Pure modules: ``state`` (the schema as data), ``operations``, ``models`` (the schema the
models describe), ``autodetect`` (state → models), ``writer`` (the file text), ``graph``
(dependencies, heads, order, replay), ``sqlgen`` (each operation's SQL per backend),
``script`` (plans and offline scripts). ``loader`` and ``commands`` read and write the
migration files; ``_async/runner`` (and its generated ``_sync`` twin) applies them.
"""
