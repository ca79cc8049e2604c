"""ORM layer: ``Model``, ``Query`` and relations, composed over the I/O shell (no I/O code
of its own)."""
