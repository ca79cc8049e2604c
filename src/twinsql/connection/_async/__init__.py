# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The connection feature's I/O code: ``_async`` is its source, and ``_sync`` is generated
from it."""
