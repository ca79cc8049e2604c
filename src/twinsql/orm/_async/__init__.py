# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The orm feature's async I/O source; ``_sync`` beside it is generated from it."""
