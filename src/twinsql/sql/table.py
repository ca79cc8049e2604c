"""SQL feature, pure: table metadata for the SQL builder, and its per-dialect SQL cache.

``TableInfo`` is what the SQL layer knows about a table: its name, the model's field names
in declaration order, the database column behind each field and the primary key.  The
model layer builds one per model class; tests build them by hand.

Hashability: ``columns`` is stored as a ``FrozenColumns`` (an immutable, hashable
``Mapping``) whatever mapping or sequence of pairs the caller passed, and it always holds
every field: a field left out of the caller's mapping maps to a column of the same name.
So a ``TableInfo`` compares by value, can key a dict and can live in a frozen ``Select``.

Speed: the quoted table name, the quoted column of every field and the default select
list are computed once per (TableInfo, dialect) and kept on the instance (``table_sql``),
so compiling a query only looks strings up.  Identifiers are quoted through
``Dialect.quote_identifier`` (or its cached front, ``quoter``), never formatted raw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from twinsql.errors import ArgumentError, InvalidIdentifierError
from twinsql.sql.dialects import Dialect

__all__ = ["FrozenColumns", "TableInfo", "quoter", "table_sql", "unknown_field"]

_SHOWN_CHARS = 60  # how much of a rejected name a message repeats
_QUOTE_CACHE_MAX = 4096  # identifiers are mostly the developer's; cap what users can add


def shown(value: object) -> str:
    """A rejected value for a message: repr'd and cut, so a 10 kB payload stays readable."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def unknown_field(table: str, name: object, known: Iterable[str]) -> InvalidIdentifierError:
    """The error for a field name that the table does not have, listing the ones it has."""
    return InvalidIdentifierError(
        f"unknown field {shown(name)} on {table}; known fields: {', '.join(known)}"
    )


class FrozenColumns(Mapping[str, str]):
    """An immutable, hashable field → column mapping (insertion order kept)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._data: dict[str, str] = dict(data)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenColumns):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenColumns({self._data!r})"


@dataclass(frozen=True)
class TableInfo:
    """One table as the SQL layer sees it.

    ``columns`` may be partial (or empty): a field it leaves out is stored in a column of
    the same name.  It is normalised to a complete ``FrozenColumns`` in field order.
    """

    name: str
    fields: tuple[str, ...]
    columns: Mapping[str, str] = field(default_factory=FrozenColumns)
    primary_key: str = "id"
    # Every key field, in declaration order; a composite key has several. Left empty, it is
    # ``(primary_key,)``; given, ``primary_key`` becomes its first field.
    primary_keys: tuple[str, ...] = ()
    # Per-dialect SQL strings, filled on first use; not part of the value.
    _sql: dict[str, _TableSQL] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidIdentifierError(
                f"a table name must be a non-empty str, not {shown(self.name)}"
            )
        fields = self.fields
        if isinstance(fields, str) or not isinstance(fields, Iterable):
            raise ArgumentError(
                f"fields of {self.name} must be a tuple of names, not {shown(fields)}"
            )
        fields = tuple(fields)
        if not fields:
            raise ArgumentError(f"table {self.name} needs at least one field")
        for name in fields:
            if not isinstance(name, str) or not name:
                raise InvalidIdentifierError(
                    f"a field name of {self.name} must be a non-empty str, not {shown(name)}"
                )
        if len(set(fields)) != len(fields):
            raise ArgumentError(f"table {self.name} lists a field twice: {', '.join(fields)}")
        given = dict(self.columns.items() if isinstance(self.columns, Mapping) else self.columns)
        for name, column in given.items():
            if name not in fields:
                raise unknown_field(self.name, name, fields)
            if not isinstance(column, str) or not column:
                raise InvalidIdentifierError(
                    f"the column of {self.name}.{name} must be a non-empty str, not {shown(column)}"
                )
        keys = tuple(self.primary_keys) or (self.primary_key,)
        for key in keys:
            if key not in fields:
                raise unknown_field(self.name, key, fields)
        object.__setattr__(self, "primary_keys", keys)
        object.__setattr__(self, "primary_key", keys[0])
        object.__setattr__(self, "fields", fields)
        columns = FrozenColumns((name, given.get(name, name)) for name in fields)
        object.__setattr__(self, "columns", columns)

    def column(self, field: str) -> str:
        """The database column behind ``field``; ``InvalidIdentifierError`` for a field the
        table does not have (the message lists the known fields)."""
        if isinstance(field, str):
            column = self.columns.get(field)
            if column is not None:
                return column
        raise unknown_field(self.name, field, self.fields)


def quoter(dialect: Dialect) -> Callable[[str], str]:
    """``dialect.quote_identifier`` behind a per-dialect cache (quoting validates and
    encodes, which is slow next to a dict lookup).  Non-str names are rejected first so
    that an unhashable value cannot reach the cache."""
    entry = _QUOTERS.get(id(dialect))
    if entry is not None and entry[0] is dialect:
        return entry[1]
    cache: dict[str, str] = {}
    quote_identifier = dialect.quote_identifier

    def quote(name: str) -> str:
        quoted = cache.get(name) if type(name) is str else None
        if quoted is None:
            quoted = quote_identifier(name)  # raises InvalidIdentifierError for bad names
            if len(cache) < _QUOTE_CACHE_MAX:
                cache[name] = quoted
        return quoted

    # Keyed by id() with the dialect kept alive in the entry, so an id is never reused.
    _QUOTERS[id(dialect)] = (dialect, quote)
    return quote


_QUOTERS: dict[int, tuple[Dialect, Callable[[str], str]]] = {}


class _TableSQL:
    """The SQL strings of one table on one dialect (see ``table_sql``)."""

    __slots__ = ("all_qsel", "all_sel", "cols", "dialect", "name", "plain", "qcols", "qsel",
                 "sel")  # fmt: skip

    def __init__(self, info: TableInfo, dialect: Dialect) -> None:
        quote = quoter(dialect)
        self.dialect = dialect
        self.name = quote(info.name)
        prefix = self.name + "."
        #: field → quoted column; the same qualified with the table name
        self.cols = {f: quote(c) for f, c in info.columns.items()}
        self.qcols = {f: prefix + c for f, c in self.cols.items()}
        #: field → select-list item, aliased to the field name where the column differs
        self.sel = {f: _aliased(self.cols[f], c, f, quote) for f, c in info.columns.items()}
        self.qsel = {f: _aliased(self.qcols[f], c, f, quote) for f, c in info.columns.items()}
        self.all_sel = ", ".join(self.sel.values())
        self.all_qsel = ", ".join(self.qsel.values())
        #: field → the field name quoted (a CTE's or a compound's output columns)
        self.plain = {f: quote(f) for f in info.fields}


def _aliased(text: str, column: str, field: str, quote: Callable[[str], str]) -> str:
    return text if column == field else f"{text} AS {quote(field)}"


def table_sql(info: TableInfo, dialect: Dialect) -> _TableSQL:
    """The cached SQL strings of ``info`` on ``dialect`` (built on first use; a race only
    builds the same strings twice)."""
    entry = info._sql.get(dialect.name)
    if entry is None or entry.dialect is not dialect:
        entry = info._sql[dialect.name] = _TableSQL(info, dialect)
    return entry
