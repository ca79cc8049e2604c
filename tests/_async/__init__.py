# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Integration tests, async source; ``tests/_sync`` is generated from here."""
