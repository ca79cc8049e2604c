"""The shortcuts of the load's hot path decide as the full readers do (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from twinsql.batch.intake import Intake
from twinsql.batch.ledger import Ledger
from twinsql.batch.queue import StatementQueue
from twinsql.batch.statements import LiteralStatement, control_verb, reads_stdin
from twinsql.sql.insert import parse_insert
from twinsql.sql.lexer import Lexer, scan_items
from twinsql.sql.literal_insert import literal_insert


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("BEGIN", "begin"), ("begin;", "begin"), ("COMMIT\n", "commit"), ("END", "commit"),
        ("ROLLBACK TO SAVEPOINT a", "rollback"), ("release a", "savepoint"),
        ("BEGINNING", None), ("BEGIN\u00e9", None), ("BEGIN$x", None), ("BEGIN_", None),
        ("/* c */ BEGIN", "begin"), ("-- c\nCOMMIT", "commit"), ("  START TRANSACTION", "begin"),
        ("E'x'", None), ("INSERT INTO t VALUES (1)", None), ("", None),
    ],
)  # fmt: skip
@pytest.mark.parametrize("lexer", ["sqlite", "postgresql", "mysql"])
def test_control_verb(sql: str, verb: str | None, lexer: Lexer) -> None:
    assert control_verb(sql, lexer) == verb


@pytest.mark.parametrize(
    ("sql", "copy"),
    [
        ("COPY t (a) FROM stdin", True), ("copy t FROM STDIN", True),
        ("/* x */ COPY t FROM stdin", True), ("COPY t TO stdout", False),
        ("COPYRIGHT", False), ("SELECT 'COPY t FROM stdin'", False),
    ],
)  # fmt: skip
def test_reads_stdin(sql: str, copy: bool) -> None:
    assert reads_stdin(sql, "postgresql") is copy


@pytest.mark.parametrize("lexer", ["sqlite", "postgresql", "mysql"])
def test_parse_insert_takes_the_items_it_would_scan(lexer: Lexer) -> None:
    sql = "INSERT INTO t (a, b) VALUES (1, 'x;y')"
    given = parse_insert(sql, lexer, scan_items(sql, lexer))
    assert given is not None and given.key == parse_insert(sql, lexer).key  # type: ignore[union-attr]
    many = "INSERT INTO t VALUES (1, 'a'), (2, 'b')"
    assert parse_insert(many, lexer) is None


def _queued(queue: StatementQueue) -> list[tuple[Any, ...]]:
    """Every queued statement: index, text, key, values, parameters, size."""
    return [(run.start + p, run.shape_at(p).sql, run.shape_at(p).key, run.bound[p],
             run.params[p], run.sizes[p])
            for run, first in queue.segments() for p in range(first, len(run.sizes))]  # fmt: skip


def _intake(queue: StatementQueue, lexer: Lexer = "sqlite") -> Intake:
    return Intake(Ledger(), queue, style="qmark", lexer=lexer, transactional_ddl=True,
                  max_params=999, max_query_size=None)  # fmt: skip


SCRIPT = [
    "INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, 'b')",
    "INSERT INTO u (x) VALUES (3)", "INSERT INTO u (x) VALUES (4)",
    ("INSERT INTO u (x) VALUES (?)", (5,)), "INSERT INTO u (x) VALUES (6)",
    "INSERT INTO t VALUES (7, now())", "INSERT INTO t VALUES (8, 'c')",
    "UPDATE t SET b = 'z'", "INSERT INTO t VALUES (9, 'd'), (10, 'e')",
    "INSERT INTO t VALUES (11, 'f')",
]  # fmt: skip


def test_a_dumps_literal_rows_are_queued_as_the_general_path_queues_them() -> None:
    one_by_one = StatementQueue()
    intake = _intake(one_by_one)
    for item in SCRIPT:
        sql, params = item if isinstance(item, tuple) else (item, None)
        intake.add(sql, params)
    fed = StatementQueue()
    assert _intake(fed).feed(iter(SCRIPT), None, False) is True
    assert _queued(fed) == _queued(one_by_one)
    assert len(fed) == len(SCRIPT)
    # The same statements handed over already read (as the script reader's lane does).
    read: list[Any] = []
    for item in SCRIPT:
        found = literal_insert(item, "sqlite") if isinstance(item, str) else None
        read.append(item if found is None else LiteralStatement(item, found))
    assert any(isinstance(item, LiteralStatement) for item in read)
    handed = StatementQueue()
    assert _intake(handed).feed(iter(read), None, False) is True
    assert _queued(handed) == _queued(one_by_one)


def test_the_last_statement_of_a_run_of_distinct_texts_can_be_taken_out() -> None:
    queue = StatementQueue()
    _intake(queue).feed(iter(SCRIPT[:2]), None, False)
    assert queue.remove(1) == (SCRIPT[1], None)
    assert [entry[0] for entry in _queued(queue)] == [0]


def test_each_literal_insert_given_as_text_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A literal INSERT that starts a new run (the next table's first row) is read once,
    not once by the fast loop and again by the general path."""
    import twinsql.batch.intake as intake
    import twinsql.batch.statements as statements

    reads: list[str] = []

    def counted(sql: str, lexer: Lexer) -> Any:
        reads.append(sql)
        return literal_insert(sql, lexer)

    for module in (intake, statements):  # the two readers of a text
        monkeypatch.setattr(module, "literal_insert", counted)
    script = [f"INSERT INTO t{i // 2 % 3} VALUES ({i}, 'a')" for i in range(12)]
    queue = StatementQueue()
    assert _intake(queue).feed(iter(script), None, False) is True
    assert reads == script
    assert [entry[1] for entry in _queued(queue)] == script
