"""Connection layer, pure: the named points of a call where a test may step in.

The I/O layers report reaching each point below to ``hook``, when one is installed, so that
a test can interrupt a call at exactly that point (cancel the current task, or raise in a
thread) instead of at a random moment. ``hook`` is None outside tests: each point then
costs one global look-up and a comparison with None. Internal; not a public API.

The points, in the order a call meets them:

* ``POOL_WAIT``  — a checkout found no free slot and is about to wait for one;
* ``CONNECTING`` — the pool is about to open a new connection;
* ``QUERY``      — a statement is about to be handed to the driver;
* ``COMMIT``     — a transaction's COMMIT is about to be sent;
* ``RELEASE``    — a connection is being returned to the pool by its slow path (a rollback
  on return, a discard, an overflow close, a pinned block's end).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "COMMIT",
    "CONNECTING",
    "POINTS",
    "POOL_WAIT",
    "QUERY",
    "RELEASE",
    "hook",
    "install",
    "reached",
]

POOL_WAIT = "pool wait"
CONNECTING = "connecting"
QUERY = "query"
COMMIT = "commit"
RELEASE = "release"
POINTS = (POOL_WAIT, CONNECTING, QUERY, COMMIT, RELEASE)

# Called with the point's name; read in place (``checkpoints.hook``) by the hot paths.
hook: Callable[[str], None] | None = None


def install(callback: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """Install ``callback`` (None removes it) and return the one it replaces."""
    global hook
    previous, hook = hook, callback
    return previous


def reached(point: str) -> None:
    """Report ``point`` to the installed hook, if any (for paths that are not hot)."""
    if hook is not None:
        hook(point)
