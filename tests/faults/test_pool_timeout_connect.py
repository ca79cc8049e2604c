"""``pool_timeout`` bounds the whole checkout, opening a connection included.

A server that accepts TCP connections and never answers stalls a driver's connect for as
long as the driver lets it. With only ``pool_timeout`` set, a checkout must still give up
with ``PoolTimeout`` at ``pool_timeout`` (plus a little scheduling), in both modes, and the
abandoned connect must hold no slot.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

import twinsql

TIMEOUT = 0.5
SCHEMES = {
    "psycopg": "postgresql+psycopg",
    "asyncpg": "postgresql+asyncpg",
    "pymysql": "mysql+pymysql",
    "asyncmy": "mysql+asyncmy",
}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listening socket whose accepted connections never hear a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def silent_url(driver: str, port: int) -> str:
    return f"{SCHEMES[driver]}://user:secret@127.0.0.1:{port}/db"


@pytest.mark.parametrize("driver", ["psycopg", "pymysql"])
def test_sync_checkout_gives_up_at_pool_timeout(driver: str, silent_port: int) -> None:
    with twinsql.connect(silent_url(driver, silent_port), pool_size=1, max_overflow=0,
                         pool_timeout=TIMEOUT) as db:  # fmt: skip
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(twinsql.PoolTimeout):
                db.execute_scalar("SELECT 1")
            assert time.monotonic() - started < TIMEOUT + 0.25
            stats = db.pool_stats()
            assert stats.checked_out == 0 and stats.size == 0, stats


@pytest.mark.parametrize("driver", ["asyncpg", "psycopg", "asyncmy"])
async def test_async_checkout_gives_up_at_pool_timeout(driver: str, silent_port: int) -> None:
    async with twinsql.connect_async(silent_url(driver, silent_port), pool_size=1,
                                     max_overflow=0, pool_timeout=TIMEOUT) as db:  # fmt: skip
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(twinsql.PoolTimeout):
                await db.execute_scalar("SELECT 1")
            assert time.monotonic() - started < TIMEOUT + 0.25
            stats = db.pool_stats()
            assert stats.checked_out == 0 and stats.size == 0, stats
        await asyncio.sleep(0)
