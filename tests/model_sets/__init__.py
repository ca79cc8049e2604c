"""Two model sets that both have an ``Artist`` and an ``Album`` (hand-written, used by the
registry tests of both modes)."""
