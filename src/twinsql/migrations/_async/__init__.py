# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Migrations feature, I/O: the runner (async source of the generated sync twin)."""
