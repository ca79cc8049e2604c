"""The log of session statements a batcher replays on a new connection (no database)."""

from __future__ import annotations

from twinsql.batch.session import SessionLog
from twinsql.batch.statements import analyze


def test_the_log_keeps_order_and_moves_a_repeated_statement_to_its_last_place() -> None:
    log = SessionLog()
    assert log.version == 0 and list(log.entries()) == []
    for sql in ["SET a = 1", "SET search_path = app", "SET a = 2", "SET a = 1"]:
        log.record(analyze(sql, "numeric", "postgresql"), (), None)
    assert [shape.sql for shape, _, _ in log.entries()] == [
        "SET search_path = app", "SET a = 2", "SET a = 1"
    ]  # fmt: skip
    assert log.version == 4 and len(log) == 3
    # the same text with other values is another statement
    shape = analyze("SET a = ?", "qmark", "sqlite")
    log.record(shape, (1,), (1,))
    log.record(shape, (2,), (2,))
    assert [params for _, _, params in log.entries()][-2:] == [(1,), (2,)]


def test_of_a_text_of_several_statements_only_the_session_ones_are_kept() -> None:
    log = SessionLog()
    shape = analyze("SET a = ?; INSERT INTO t VALUES (?); USE other", "qmark", "mysql",
                    allow_multiple=True)  # fmt: skip
    assert shape.session and shape.parts is not None
    log.record(shape, shape.bind((1, 2)), (1, 2))
    assert [(part.sql, list(bound)) for part, bound, _ in log.entries()] == [
        ("SET a = ?", [1]), ("USE other", [])
    ]  # fmt: skip
