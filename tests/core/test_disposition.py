"""What the pool does with a returning connection, without a database."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from twinsql.connection.disposition import ReturnDisposition, return_disposition

KEEP = ReturnDisposition.KEEP_IDLE
ROLL_BACK = ReturnDisposition.ROLL_BACK_THEN_KEEP
DISCARD = ReturnDisposition.DISCARD
OVERFLOW = ReturnDisposition.CLOSE_OVERFLOW


@dataclass
class Link:
    closed: bool = False
    in_transaction: bool = False


class ClosedLink:
    """A closed driver connection that refuses to report its transaction (as sqlite3 does)."""

    closed = True

    @property
    def in_transaction(self) -> bool:
        raise AssertionError("read in_transaction of a closed link")


def decide(
    *,
    broken: bool = False,
    pool_closed: bool = False,
    link: Link | ClosedLink | None = None,
    open_levels: int = 0,
    idle: int = 0,
    pool_size: int = 2,
) -> ReturnDisposition:
    return return_disposition(broken, pool_closed, link or Link(), open_levels, idle, pool_size)


def test_a_clean_connection_is_kept_idle_without_a_reset() -> None:
    assert decide() is KEEP
    assert decide(idle=1, pool_size=2) is KEEP


def test_a_clean_connection_beyond_pool_size_is_closed_as_overflow() -> None:
    assert decide(idle=2, pool_size=2) is OVERFLOW
    assert decide(idle=3, pool_size=2) is OVERFLOW


@pytest.mark.parametrize(
    "facts",
    [{"broken": True}, {"pool_closed": True}, {"link": Link(closed=True)}],
    ids=["broken", "pool closed", "link closed"],
)
def test_unknown_state_or_a_closed_pool_discards(facts: dict[str, object]) -> None:
    assert decide(**facts) is DISCARD  # type: ignore[arg-type]
    # Even inside a transaction and with room in the pool: nothing is sent to it.
    assert decide(**facts, open_levels=1, idle=0) is DISCARD  # type: ignore[arg-type]


def test_a_closed_link_is_discarded_without_asking_for_its_transaction() -> None:
    assert decide(link=ClosedLink()) is DISCARD


@pytest.mark.parametrize(("in_transaction", "open_levels"), [(True, 0), (False, 1), (True, 2)])
def test_a_connection_left_in_a_transaction_is_rolled_back_first(
    in_transaction: bool, open_levels: int
) -> None:
    link = Link(in_transaction=in_transaction)
    assert decide(link=link, open_levels=open_levels) is ROLL_BACK
    # The rollback comes first even when the pool is full: the pool decides again after it.
    assert decide(link=link, open_levels=open_levels, idle=5) is ROLL_BACK
