# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The test helpers' I/O code: ``_async`` is its source; ``_sync`` is generated."""
