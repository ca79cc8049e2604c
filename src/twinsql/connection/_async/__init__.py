# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The connection feature's I/O code: ``_async`` is its source; ``_sync`` is generated."""
