"""Connection layer, pure: what the pool does with a connection that comes back to it.

One decision, taken by both of the pool's return paths (the immediate one that costs no
await, and the full one):

* a connection that is **broken** (an operation was interrupted mid-I/O, or the link broke),
  whose link is closed, or that returns to a closed pool is **discarded**: its state is
  unknown, and the next caller could otherwise read the previous caller's rows;
* one left **inside a transaction** (the server says so, or a level is still open) is
  **rolled back**, then decided again;
* a clean one is **kept idle**, with no reset query (a reset on every return costs a round
  trip per statement), unless ``pool_size`` connections already wait idle: then it is an
  **overflow** connection and is **closed**.
"""

from __future__ import annotations

import enum
from typing import Protocol

__all__ = [
    "CLOSE_OVERFLOW",
    "DISCARD",
    "KEEP_IDLE",
    "ROLL_BACK_THEN_KEEP",
    "DriverLink",
    "ReturnDisposition",
    "return_disposition",
]


class ReturnDisposition(enum.Enum):
    KEEP_IDLE = "keep idle"
    ROLL_BACK_THEN_KEEP = "roll back, then keep"
    DISCARD = "discard"
    CLOSE_OVERFLOW = "close as overflow"


# The members as module names: on Python 3.11 reading a member off its Enum class runs a
# descriptor (about a hundred nanoseconds), and every statement's return reads one.
KEEP_IDLE = ReturnDisposition.KEEP_IDLE
ROLL_BACK_THEN_KEEP = ReturnDisposition.ROLL_BACK_THEN_KEEP
DISCARD = ReturnDisposition.DISCARD
CLOSE_OVERFLOW = ReturnDisposition.CLOSE_OVERFLOW


class DriverLink(Protocol):
    """What the decision reads from the driver connection. Each is read only when the
    decision gets to it: a closed driver connection may refuse to report its transaction."""

    @property
    def closed(self) -> bool: ...

    @property
    def in_transaction(self) -> bool: ...


def return_disposition(
    broken: bool, pool_closed: bool, link: DriverLink, open_levels: int, idle: int, pool_size: int
) -> ReturnDisposition:
    """What to do with a returning connection: ``broken`` is its flag, ``link`` its driver
    connection, ``open_levels`` the transaction levels twinsql still has open on it; ``idle``
    counts the connections waiting in the pool, which keeps at most ``pool_size``."""
    if broken or pool_closed or link.closed:
        return DISCARD
    if link.in_transaction or open_levels:
        return ROLL_BACK_THEN_KEEP
    if idle >= pool_size:
        return CLOSE_OVERFLOW
    return KEEP_IDLE
