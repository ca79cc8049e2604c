"""The benchmark's data: table definitions, deterministic rows, checksums, expected results.

Pure (no I/O). Read tables, loaded once per server by ``loader.py`` and reused:

* ``bench_users`` — ``N_USERS`` rows × 7 columns (int PK, text, text, int, float, bool,
  timestamp with time zone on PostgreSQL; MySQL ``DATETIME`` and SQLite text hold the same
  instant as UTC wall time), index on ``(age, id)`` (so W3's page is an index range scan
  on every backend, as InnoDB's secondary index on ``age`` alone already is);
* ``bench_posts`` — ``POSTS_PER_USER`` per user (FK ``user_id``, indexed), 5 columns;
* ``bench_wide`` — ``N_WIDE`` rows × 32 columns (10 int, 10 float, 11 text after the PK).

Write tables, reset by each cell that uses them: ``bench_items`` (generated PK + 5 columns:
W5–W8), ``bench_accounts`` and ``bench_transfers`` (W10).

Every value is a function of the row number, so the expected result of any workload
operation (ids, sums, a checksum over every value) is known without a database.
Checksums normalise each backend's and library's native types: bool → 0/1, an aware
datetime → its UTC wall time, datetime → ISO text, float → ``repr``, Decimal → int when
integral.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

VERSION = "3"  # bump when any generator or table definition below changes
N_USERS = 100_000
POSTS_PER_USER = 10
N_POSTS = N_USERS * POSTS_PER_USER
N_WIDE = 2_000
N_ACCOUNTS = 1_000
START_BALANCE = 1_000_000

USER_COLUMNS = ("id", "name", "email", "age", "score", "active", "created_at")
POST_COLUMNS = ("id", "user_id", "title", "body", "likes")
WIDE_INTS = tuple(f"i{n:02d}" for n in range(1, 11))
WIDE_FLOATS = tuple(f"f{n:02d}" for n in range(1, 11))
WIDE_TEXTS = tuple(f"t{n:02d}" for n in range(1, 12))
WIDE_COLUMNS = ("id", *WIDE_INTS, *WIDE_FLOATS, *WIDE_TEXTS)
ITEM_COLUMNS = ("id", "name", "email", "age", "score", "active")
_UTC = datetime.timezone.utc
_BASE = datetime.datetime(2024, 1, 1)

_T = {  # per-backend column types: int, text (short/long), float, bool, timestamp, money
    "sqlite": ("INTEGER", "TEXT", "TEXT", "REAL", "BOOLEAN", "TIMESTAMP", "INTEGER"),
    "postgresql": ("integer", "text", "text", "double precision", "boolean", "timestamptz",
                   "bigint"),
    "mysql": ("INT", "VARCHAR(100)", "VARCHAR(400)", "DOUBLE", "BOOLEAN", "DATETIME", "BIGINT"),
}  # fmt: skip
_SERIAL = {
    "sqlite": "id INTEGER PRIMARY KEY",
    "postgresql": "id serial PRIMARY KEY",
    "mysql": "id INT AUTO_INCREMENT PRIMARY KEY",
}


def ddl(backend: str) -> dict[str, list[str]]:
    """CREATE statements per table, in dependency order (indexes included)."""
    i, s, long, f, b, ts, money = _T[backend]
    tail = " ENGINE=InnoDB" if backend == "mysql" else ""
    wide = ", ".join(
        [f"{c} {i} NOT NULL" for c in WIDE_INTS] + [f"{c} {f} NOT NULL" for c in WIDE_FLOATS]
        + [f"{c} {s} NOT NULL" for c in WIDE_TEXTS]
    )  # fmt: skip
    return {
        "bench_users": [
            f"CREATE TABLE bench_users (id {i} PRIMARY KEY, name {s} NOT NULL, email {s} NOT "
            f"NULL, age {i} NOT NULL, score {f} NOT NULL, active {b} NOT NULL, "
            f"created_at {ts} NOT NULL){tail}",
            "CREATE INDEX bench_users_age ON bench_users (age, id)",
        ],
        "bench_posts": [
            f"CREATE TABLE bench_posts (id {i} PRIMARY KEY, user_id {i} NOT NULL REFERENCES "
            f"bench_users (id), title {s} NOT NULL, body {long} NOT NULL, likes {i} NOT NULL)"
            + tail,
            "CREATE INDEX bench_posts_user_id ON bench_posts (user_id)",
        ],
        "bench_wide": [f"CREATE TABLE bench_wide (id {i} PRIMARY KEY, {wide}){tail}"],
        "bench_items": [
            f"CREATE TABLE bench_items ({_SERIAL[backend]}, name {s} NOT NULL, email {s} NOT "
            f"NULL, age {i} NOT NULL, score {f} NOT NULL, active {b} NOT NULL){tail}"
        ],
        "bench_accounts": [
            f"CREATE TABLE bench_accounts (id {i} PRIMARY KEY, owner {s} NOT NULL, "
            f"balance {money} NOT NULL){tail}"
        ],
        "bench_transfers": [
            f"CREATE TABLE bench_transfers ({_SERIAL[backend]}, src {i} NOT NULL, dst {i} NOT "
            f"NULL, amount {money} NOT NULL){tail}"
        ],
        "bench_meta": [f"CREATE TABLE bench_meta (k {s} PRIMARY KEY, v {s} NOT NULL){tail}"],
    }


# -- rows ------------------------------------------------------------------------------------


def user_row(i: int, aware: bool = False) -> tuple[Any, ...]:
    """User ``i`` (1-based). ``aware``: created_at as an aware UTC datetime (PostgreSQL)."""
    created = _BASE + datetime.timedelta(seconds=i * 3_607)
    return (
        i,
        f"user{i:06d}",
        f"user{i:06d}@example.com",
        18 + (i * 37) % 63,
        ((i * 7919) % 100_000) / 100.0,
        i % 3 != 0,
        created.replace(tzinfo=_UTC) if aware else created,
    )


def post_row(j: int) -> tuple[Any, ...]:
    return (
        j,
        (j - 1) // POSTS_PER_USER + 1,
        f"post {j}",
        f"Body of post {j}: " + "lorem ipsum dolor sit amet " * 2,
        (j * 31) % 1000,
    )


def wide_row(k: int) -> tuple[Any, ...]:
    return (
        k,
        *((k * n) % 1000 for n in range(1, 11)),
        *(((k * n) % 10_000) / 100.0 for n in range(11, 21)),
        *(f"w{k}-{n}" for n in range(21, 32)),
    )


def item_values(i: int) -> tuple[Any, ...]:
    """The columns of ``bench_items`` after ``id`` for item ``i``."""
    return (f"item{i}", f"item{i}@example.com", 20 + i % 50, (i % 1000) / 10.0, i % 2 == 0)


# -- checksums -------------------------------------------------------------------------------


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value)


def checksum(rows: Iterable[Sequence[Any]]) -> str:
    """A digest over every value of every row, in order, with types normalised."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\x1f".join(_norm(v) for v in row).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


def values_of(objects: Iterable[Any], columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """Rows of ``columns`` from objects (attributes) or mappings (keys in this order)."""
    out = []
    for obj in objects:
        if isinstance(obj, dict):
            if tuple(obj) != tuple(columns):
                raise AssertionError(f"row keys {tuple(obj)!r} are not {tuple(columns)!r}")
            out.append(tuple(obj.values()))
        else:
            out.append(tuple(getattr(obj, c) for c in columns))
    return out


def users_checksum(ids: Iterable[int]) -> str:
    return checksum(user_row(i) for i in ids)


def wide_checksum(ids: Iterable[int]) -> str:
    return checksum(wide_row(k) for k in ids)


def posts_checksum(ids: Iterable[int]) -> str:
    return checksum(post_row(j) for j in ids)


# -- expected ids ----------------------------------------------------------------------------


def page_ids(age: int, offset: int, limit: int = 20) -> list[int]:
    """Ids of ``WHERE age = ? ORDER BY id LIMIT limit OFFSET offset`` (37·46 ≡ 1 mod 63)."""
    first = ((age - 18) * 46) % 63 or 63
    ids = (first + 63 * (offset + j) for j in range(limit))
    return [i for i in ids if i <= N_USERS]


def post_ids_of(user_id: int) -> range:
    return range((user_id - 1) * POSTS_PER_USER + 1, user_id * POSTS_PER_USER + 1)
