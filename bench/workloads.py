"""The workloads W0–W10 of the performance reference: sizes, modes, and the quick subset.

One ``Workload`` per measured variant (W2 has five, W4 and W6 two each, …). ``op`` names
the client method every library implements (``libs/``); ``arg`` is the size it is called
with. Sequential workloads time a number of operations chosen from the warm-up's speed so
that a cell's timed loop lasts about ``budget`` seconds (never more operations than the
reference size, never fewer than ``min_ops``); the count run is recorded, and every
library's figure is per operation. ``rtt`` workloads run through the 1 ms round-trip
proxy; ``reset_each`` ones time each operation alone and restore the table in between.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    name: str
    family: str  # "W0" … "W10"
    title: str
    op: str  # the client method
    ref: int  # reference number of operations (performance.md)
    warmup: int
    arg: int = 0  # rows per operation, where that applies
    min_ops: int = 20
    modes: tuple[str, ...] = ("sync", "async")
    backends: tuple[str, ...] = ("sqlite", "postgresql", "mysql")
    concurrency: int = 0  # W4: concurrent tasks; W10: workers
    pool: int = 1
    rtt: bool = False
    reset_each: bool = False
    seconds: float = 0.0  # W10: timed duration (quick: a third)
    peers: bool = True  # False: the connection layer only (W0)
    dicts: bool = False  # returns dict rows
    quick: bool = False  # part of --quick

    @property
    def sequential(self) -> bool:
        return self.concurrency == 0


_SERVERS = ("postgresql", "mysql")
_PG = ("postgresql",)

WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("w0", "W0", "W0 SELECT 1", "select1", 5_000, 300, peers=False),
        Workload("w1", "W1", "W1 get by PK → object", "get_user", 5_000, 200, quick=True),
        Workload("w2_100", "W2", "W2 100 rows → objects", "users", 1_000, 30, arg=100),
        Workload("w2_10k", "W2", "W2 10k rows → objects", "users", 30, 2, arg=10_000,
                 min_ops=3, quick=True),
        Workload("w2_wide", "W2", "W2 1000 wide rows → objects", "wide", 100, 3, arg=1_000,
                 min_ops=3),
        Workload("w2d_100", "W2", "W2 100 rows → dicts", "user_dicts", 1_000, 30, arg=100,
                 dicts=True),
        Workload("w2d_10k", "W2", "W2 10k rows → dicts", "user_dicts", 30, 2, arg=10_000,
                 min_ops=3, dicts=True),
        Workload("w3", "W3", "W3 filtered page of 20", "page", 2_000, 100),
        Workload("w4_100", "W4", "W4 100 tasks, pool of 10", "get_user", 2_000, 200,
                 modes=("async",), concurrency=100, pool=10, min_ops=500),
        Workload("w4_1k", "W4", "W4 1000-task burst, pool of 10", "get_user", 10_000, 1_000,
                 modes=("async",), concurrency=1_000, pool=10, min_ops=2_000),
        Workload("w5", "W5", "W5 insert returning PK", "insert_item", 1_000, 30, quick=True),
        Workload("w6_10k", "W6", "W6 bulk insert 10k rows", "bulk_insert", 3, 1, arg=10_000,
                 min_ops=3, reset_each=True, quick=True),
        Workload("w6_100k", "W6", "W6 bulk insert 100k rows", "bulk_insert", 1, 0,
                 arg=100_000, min_ops=1, reset_each=True, backends=_PG),
        Workload("w7", "W7", "W7 read-modify-save by PK", "rms", 1_000, 30),
        Workload("w7_bulk", "W7", "W7 bulk update 10k rows", "bulk_update", 20, 2,
                 arg=10_000, min_ops=5),
        Workload("w8", "W8", "W8 delete by PK", "delete_item", 1_000, 30),
        Workload("w9", "W9", "W9 100 users + their 1000 posts", "users_with_posts", 200, 5,
                 arg=100, min_ops=10, quick=True),
        Workload("w10", "W10", "W10 transfer transaction, 10 workers", "transfer", 0, 0,
                 backends=_SERVERS, concurrency=10, pool=10, seconds=1.5),
        Workload("w1_rtt", "W1", "W1 get by PK, 1 ms RTT", "get_user", 500, 20, rtt=True,
                 backends=_PG, min_ops=50),
        Workload("w4_rtt", "W4", "W4 100 tasks, pool of 10, 1 ms RTT", "get_user", 2_000, 200,
                 modes=("async",), concurrency=100, pool=10, rtt=True, backends=_PG,
                 min_ops=500),
        Workload("w9_rtt", "W9", "W9 eager load, 1 ms RTT", "users_with_posts", 100, 3,
                 arg=100, rtt=True, backends=_PG, min_ops=10),
    )
}  # fmt: skip

# The cells' time budget for a sequential timed loop, seconds (full, quick).
BUDGET = {False: 0.2, True: 0.12}
