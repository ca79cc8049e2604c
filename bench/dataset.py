"""Benchmark data: the ``bench_users`` table, its deterministic rows and their checksums.

The table has 7 columns (id int PK, name text, email text, age int, score float, active bool,
created_at timestamp) and ``N_ROWS`` rows generated from the row number alone, so every
backend holds the same values and the expected checksum of any prefix is known without a
database. ``ensure_table`` (re)loads the table through twinsql's own ``execute_many`` in one
transaction, and only when the table is missing or its contents are not the expected ones.

Checksums normalise each backend's native types (bool → 0/1, datetime → ISO text, float →
``repr``), so one expected value serves SQLite (which stores bools as 0/1 and timestamps as
text), PostgreSQL and MySQL alike.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

TABLE = "bench_users"
N_ROWS = 10_000
COLUMNS = ("id", "name", "email", "age", "score", "active", "created_at")
_BASE_TIME = datetime.datetime(2024, 1, 1)

DDL = {
    "sqlite": (
        f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "email TEXT NOT NULL, age INTEGER NOT NULL, score REAL NOT NULL, "
        "active BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL)"
    ),
    "postgresql": (
        f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, name text NOT NULL, "
        "email text NOT NULL, age integer NOT NULL, score double precision NOT NULL, "
        "active boolean NOT NULL, created_at timestamp NOT NULL)"
    ),
    "mysql": (
        f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, "
        "email VARCHAR(200) NOT NULL, age INT NOT NULL, score DOUBLE NOT NULL, "
        "active BOOLEAN NOT NULL, created_at DATETIME NOT NULL) ENGINE=InnoDB"
    ),
}


def select_sql(limit: int) -> str:
    """The W2 query: the first ``limit`` rows in primary-key order (same text everywhere)."""
    return f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY id LIMIT {limit}"


def make_row(i: int) -> tuple[Any, ...]:
    """Row number ``i`` (1-based); a pure function of ``i``."""
    return (
        i,
        f"user{i:05d}",
        f"user{i:05d}@example.com",
        18 + (i * 7) % 63,
        ((i * 7919) % 100_000) / 100.0,
        i % 3 != 0,
        _BASE_TIME + datetime.timedelta(seconds=i * 3_607),
    )


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def checksum_rows(rows: Iterable[Sequence[Any]]) -> str:
    """A digest over every value of every row, in order, with types normalised."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\x1f".join(_norm(v) for v in row).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


def checksum_dicts(rows: Sequence[Mapping[str, Any]]) -> str:
    """``checksum_rows`` of dict rows; the keys must be ``COLUMNS`` in order."""
    for row in rows:
        if tuple(row) != COLUMNS:
            raise ValueError(f"row keys {tuple(row)!r} are not {COLUMNS!r}")
    return checksum_rows(tuple(row.values()) for row in rows)


def expected_checksum(limit: int) -> str:
    return checksum_rows(make_row(i) for i in range(1, limit + 1))


def expected_id_sum(limit: int) -> int:
    return limit * (limit + 1) // 2


def ensure_table(db: Any, backend: str) -> str:
    """Make ``bench_users`` hold exactly the expected rows, using the twinsql ``Database``
    ``db``. Returns "present" or "loaded"."""
    try:
        count = db.execute_scalar(f"SELECT COUNT(*) FROM {TABLE}")
    except Exception:  # the table does not exist (each backend words it differently)
        count = None
    if count == N_ROWS and checksum_dicts(db.execute(select_sql(N_ROWS))) == expected_checksum(
        N_ROWS
    ):
        return "present"
    db.execute_non_query(f"DROP TABLE IF EXISTS {TABLE}")
    db.execute_non_query(DDL[backend])
    placeholders = ", ".join("?" for _ in COLUMNS)
    with db.transaction():
        db.execute_many(
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({placeholders})",
            [make_row(i) for i in range(1, N_ROWS + 1)],
        )
    got = checksum_dicts(db.execute(select_sql(N_ROWS)))
    if got != expected_checksum(N_ROWS):
        raise RuntimeError(f"{backend}: {TABLE} reloaded but its checksum is {got}")
    return "loaded"
