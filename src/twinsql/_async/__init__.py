# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""I/O shell, async source: database, pool, connection and transaction, written once.

``twinsql._sync`` is generated from this package by ``tools/unasync.py``; edit here.
"""
