"""The batch engine with scripted outcomes (no database): what becomes of each statement
when a step succeeds, fails, or is interrupted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from twinsql import errors
from twinsql.batch.engine import (
    Action,
    BatchEngine,
    Begin,
    Cancelled,
    Collect,
    Commit,
    CopyRefused,
    Done,
    EngineSettings,
    Failed,
    Ok,
    Refresh,
    Replay,
    Rollback,
    Run,
    Stop,
    UnknownOutcome,
)
from twinsql.batch.intake import Intake
from twinsql.batch.ledger import Ledger, check_counts
from twinsql.batch.plan import Limits, PlanOptions
from twinsql.batch.queue import StatementQueue
from twinsql.batch.session import SessionLog

INSERT = "INSERT INTO t (a, b) VALUES (?, ?)"
UPDATE = "UPDATE t SET b = ? WHERE a = ?"


class Interrupted(BaseException):
    """Stands for a task cancellation (a BaseException, as asyncio's is)."""


def make(
    statements: list[Any],
    *,
    mode: str = "per_batch",
    isolate: bool = False,
    batch_bytes: int = 10**6,
    lexer: str = "sqlite",
    log: SessionLog | None = None,
    seen: dict[object, int] | None = None,
    copy: bool = False,
) -> tuple[BatchEngine, Ledger, StatementQueue]:
    ledger, queue = Ledger(), StatementQueue()
    style = "numeric" if lexer == "postgresql" else "qmark"
    intake = Intake(ledger, queue, style=style, lexer=lexer,  # type: ignore[arg-type]
                    transactional_ddl=lexer != "mysql",
                    max_params=1000, max_query_size=None)  # fmt: skip
    assert intake.feed(iter(statements), None, False)
    options = (Limits(batch_bytes, 1000), PlanOptions(style=style, copy=copy, copy_min_rows=3))  # type: ignore[arg-type]
    settings = EngineSettings(
        ledger=ledger, queue=queue, mode=mode, isolate=isolate, metadata=None, attempt=1,
        results=None, on_commit=lambda: None, progress=None, copy_refused=set(),
        session_log=log, seen=seen,
    )  # fmt: skip
    engine = BatchEngine(settings, options=lambda: options, collect=False, batch_number=0)
    return engine, ledger, queue


Script = Callable[[Action, int], Ok | Failed | Cancelled]


def drive(engine: BatchEngine, script: Script, key: object = "conn") -> list[Action]:
    """Run the engine to its end with ``script`` answering each action (by its number)."""
    actions: list[Action] = []
    action = engine.start(key)
    while not isinstance(action, Done):
        actions.append(action)
        action = engine.send(script(action, len(actions) - 1))
    return actions


def ok(action: Action, step: int) -> Ok:
    return Ok(1)


def fail_run_of(index: int, error: BaseException) -> Script:
    """Every unit that carries statement ``index`` fails with ``error``."""

    def script(action: Action, step: int) -> Ok | Failed:
        if isinstance(action, Run) and index in action.unit.indices:
            return Failed(error)
        return Ok(1)

    return script


def names(actions: list[Action]) -> list[str]:
    out = []
    for action in actions:
        name = type(action).__name__
        if isinstance(action, Run):
            name += f"{list(action.unit.indices)}"
        out.append(name)
    return out


def rows(count: int) -> list[Any]:
    return [(INSERT, (i, str(i))) for i in range(count)]


def test_a_clean_run_commits_each_batch() -> None:
    engine, ledger, queue = make([*rows(3), (UPDATE, ("x", 1))])
    actions = drive(engine, ok)
    assert names(actions) == ["Begin", "Begin", "Run[0, 1, 2]", "Commit", "Run[3]", "Commit"]
    assert ledger.counts().applied == 4 and not queue


def test_a_statement_error_in_a_merged_unit_lands_on_its_statement_and_stops() -> None:
    engine, ledger, queue = make(rows(5))
    error = errors.UniqueViolation("duplicate")
    with pytest.raises(Stop) as stopped:
        drive(engine, fail_run_of(3, error))
    assert stopped.value.error is error
    assert ledger.state(3).value == "rejected"
    assert [ledger.state(i).value for i in (0, 1, 2, 4)] == ["pending"] * 4
    assert len(queue) == 4


def test_isolate_errors_rejects_the_statement_and_commits_the_rest() -> None:
    engine, ledger, _ = make(rows(5), isolate=True)
    actions = drive(engine, fail_run_of(3, errors.OperationalError("column count")))
    assert [ledger.state(i).value for i in range(5)] == [
        "applied", "applied", "applied", "rejected", "applied"
    ]  # fmt: skip
    # the merged unit, its savepoint rolled back, then one savepoint per row
    assert names(actions)[:5] == ["Begin", "Begin", "Run[0, 1, 2, 3, 4]", "Rollback", "Begin"]
    assert sum(isinstance(a, Rollback) for a in actions) == 2


def test_a_lost_connection_leaves_the_batch_pending_for_a_retry() -> None:
    engine, ledger, queue = make(rows(3))
    lost = errors.ConnectionLost("gone")

    def script(action: Action, step: int) -> Ok | Failed:
        return Failed(lost, broken=True) if isinstance(action, Run) else Ok()

    with pytest.raises(errors.ConnectionLost):
        drive(engine, script)
    assert ledger.counts().pending == 3 and len(queue) == 3


def test_an_unknown_commit_outcome_holds_the_batch_aside() -> None:
    """Statements rejected under their savepoints stay rejected; the rest are unknown."""
    engine, ledger, queue = make(rows(3), isolate=True)
    commits = 0

    def lose_the_last_commit(action: Action, step: int) -> Ok | Failed:
        nonlocal commits
        if isinstance(action, Run) and (action.unit.count > 1 or 1 in action.unit.indices):
            return Failed(errors.CheckViolation("bad"))
        if isinstance(action, Commit):
            commits += 1
            if commits == 3:  # two savepoint releases, then the COMMIT
                return Failed(errors.CommitOutcomeUnknown("lost"), broken=True)
        return Ok()

    with pytest.raises(UnknownOutcome) as unknown:
        drive(engine, lose_the_last_commit)
    assert [item.number for item in unknown.value.items] == [0, 2]
    assert [ledger.state(i).value for i in range(3)] == ["unknown", "rejected", "unknown"]
    assert not queue


@pytest.mark.parametrize("mode", ["per_batch", "whole", "none"])
def test_an_interruption_at_any_step_leaves_an_exact_ledger(mode: str) -> None:
    """Cancel at step k, for every k: applied is exactly what a COMMIT acknowledged (or an
    autocommit statement finished), unknown what was interrupted in its COMMIT (or
    mid-statement in autocommit), pending the rest, still queued; the counts add up."""
    statements = [*rows(4), (UPDATE, ("x", 1)), (UPDATE, ("y", 2))]
    steps = len(drive(make(statements, mode=mode, batch_bytes=60)[0], ok))
    assert steps >= 4
    for cut in range(steps):
        interrupt_at(cut, statements, mode)


def interrupt_at(cut: int, statements: list[Any], mode: str) -> None:
    engine, ledger, queue = make(statements, mode=mode, batch_bytes=60)
    applied: set[int] = set()
    unknown: set[int] = set()
    open_runs: set[int] = set()  # run in the open transaction
    depth = 0

    def script(action: Action, step: int) -> Ok | Cancelled:
        nonlocal depth
        real_commit = isinstance(action, Commit) and depth == 1
        if step == cut:
            if real_commit:
                unknown.update(open_runs)
            elif isinstance(action, Run) and mode == "none":
                unknown.update(action.unit.indices)
            return Cancelled(Interrupted())
        if isinstance(action, Begin):
            depth += 1
        elif isinstance(action, (Commit, Rollback)):
            depth -= 1
            if real_commit:
                applied.update(open_runs)
                open_runs.clear()
        elif isinstance(action, Run):
            (applied if mode == "none" else open_runs).update(action.unit.indices)
        return Ok(1)

    with pytest.raises(Interrupted):
        drive(engine, script)
    check_counts(ledger.counts())
    states = [ledger.state(i).value for i in range(len(statements))]
    expected = [
        "applied" if i in applied else "unknown" if i in unknown else "pending"
        for i in range(len(statements))
    ]
    assert states == expected, (cut, mode)
    pending = [i for i, state in enumerate(states) if state == "pending"]
    assert [index for index, _, _ in queue.items()] == pending


def test_an_interrupted_commit_makes_its_batch_unknown() -> None:
    engine, ledger, queue = make(rows(3))
    commits = 0

    def script(action: Action, step: int) -> Ok | Cancelled:
        nonlocal commits
        if isinstance(action, Commit):
            commits += 1
            if commits == 2:  # after the savepoint's release: the COMMIT
                return Cancelled(Interrupted())
        return Ok(1)

    with pytest.raises(Interrupted):
        drive(engine, script)
    assert [ledger.state(i).value for i in range(3)] == ["unknown"] * 3
    assert not queue


def test_a_refused_copy_is_planned_again_as_multi_row_inserts() -> None:
    engine, ledger, _ = make(rows(5), lexer="postgresql", copy=True)
    seen: list[str] = []

    def script(action: Action, step: int) -> Ok | Failed:
        if isinstance(action, Run):
            seen.append(action.unit.kind)
            if action.unit.kind == "copy":
                return Failed(CopyRefused())
        return Ok(5)

    drive(engine, script)
    assert seen == ["copy", "values"]
    assert ledger.counts().applied == 5


def test_session_statements_are_replayed_first_on_a_connection_that_lacks_them() -> None:
    log, seen = SessionLog(), {}
    engine, ledger, _ = make(["SET search_path = app", *rows(2)], lexer="postgresql",
                             log=log, seen=seen)  # fmt: skip
    first = drive(engine, ok, key="a")
    assert names(first) == ["Begin", "Run[0]", "Commit", "Begin", "Begin", "Run[1, 2]",
                            "Commit", "Commit"]  # fmt: skip
    assert [shape.sql for shape, _, _ in log.entries()] == ["SET search_path = app"]
    assert seen == {"a": 1}
    # Another attempt on the same connection replays nothing; on a new one, the SET first.
    again, _, _ = make(rows(1), lexer="postgresql", log=log, seen=seen)
    assert not any(isinstance(a, Replay) for a in drive(again, ok, key="a"))
    fresh, _, _ = make(rows(1), lexer="postgresql", log=log, seen=seen)
    actions = drive(fresh, ok, key="b")
    assert isinstance(actions[0], Replay) and actions[0].shape.sql == "SET search_path = app"
    assert isinstance(actions[1], Refresh) and seen == {"a": 1, "b": 1}
    assert ledger.counts().applied == 3


def test_a_rolled_back_session_statement_is_not_replayed() -> None:
    log: SessionLog = SessionLog()
    engine, ledger, _ = make([*rows(1), "SET search_path = app"], lexer="postgresql", log=log)

    def script(action: Action, step: int) -> Ok | Failed:
        if isinstance(action, Commit):
            return Failed(errors.SerializationFailure("retry"))
        return Ok()

    with pytest.raises(errors.SerializationFailure):
        drive(engine, script)
    assert log.version == 0 and ledger.counts().pending == 2


def test_a_dry_run_only_collects() -> None:
    engine, ledger, queue = make(rows(3))
    settings = EngineSettings(
        ledger=ledger, queue=queue, mode="per_batch", isolate=False, metadata={"job": 1},
        attempt=1, results=None, on_commit=lambda: None, progress=None, copy_refused=set(),
    )  # fmt: skip
    options = (Limits(10**6, 1000), PlanOptions(style="qmark"))
    engine = BatchEngine(settings, options=lambda: options, collect=True, batch_number=0)
    action = engine.start_dry_run()
    collected = []
    while isinstance(action, Collect):
        collected.append(action.metadata)
        action = engine.send(Ok())
    assert isinstance(action, Done)
    assert [(m["kind"], m["dry_run"], m["job"]) for m in collected] == [("values", True, 1)]
    assert ledger.counts().pending == 3 and not queue


def test_the_session_is_read_again_after_what_may_change_the_plan() -> None:
    """MySQL: after a SET of sql_mode, its mode; after a CREATE TABLE or an ALTER TABLE
    with an ENGINE clause, that table's engine; after USE, every table's; after any other
    statement, nothing."""
    statements = ["SET @x = 1", "SET SESSION sql_mode = ''", *rows(1),
                  "CREATE TABLE m (a INT) ENGINE=MyISAM", "ALTER TABLE m DISABLE KEYS",
                  "ALTER TABLE m ENGINE=InnoDB", "DROP TABLE m", *rows(1), "USE other"]  # fmt: skip
    engine, ledger, _ = make(statements, lexer="mysql")
    refreshes = [a for a in drive(engine, ok) if isinstance(a, Refresh)]
    assert refreshes == [
        Refresh(mode=True, tables=False),
        Refresh(mode=False, tables=False, names=("m",)),  # the table created
        Refresh(mode=False, tables=False, names=("m",)),  # its ENGINE altered
        Refresh(mode=False, tables=True),  # another database: all of them
    ]
    assert ledger.counts().applied == len(statements)
