"""The ``twinsql`` command (also ``python -m twinsql``).

``twinsql load URL FILE.sql`` streams a SQL script into a database through ``SQLBatcher``:
the file is read in chunks and split into statements as it arrives
(``twinsql.batch.script``: quotes, comments, dollar quotes and trigger bodies are respected), so
a 1 GB dump is never held in memory at once. A progress bar shows the bytes read (tqdm when
installed — ``pip install twinsql[progress]`` — else a plain line every few seconds on
stderr), and the ledger is printed at the end: how many statements were applied, rejected,
left pending or unknown, with the line and the error of each one that was not applied.

Exit status: 0 when every statement was applied (in a dry run: when none was refused),
1 when anything was rejected, pending or unknown, 2 for a usage error (bad URL, missing file).
The URL's password is never printed.

``twinsql reflect URL [--tables a,b] [--naming auto|PascalCase|…] > models.py`` writes model
classes for the tables of an existing database (``twinsql.reflect``) to stdout. Exit status
0, 1 when the database cannot be read, 2 for a usage error (bad URL, unknown table).

``twinsql migrations …`` makes and applies schema migrations (``twinsql.migrations.cli``).
"""

from __future__ import annotations

import argparse
import bisect
import codecs
import contextlib
import dataclasses
import os
import re
import sys
import time
from array import array
from collections.abc import Iterator, Sequence
from typing import IO, Any, TextIO

from twinsql import errors
from twinsql.batch._sync.batcher import SQLBatcher
from twinsql.batch.charsets import UTF8_CHARSETS, charset_decoder, set_names
from twinsql.batch.intake import Refused
from twinsql.batch.ledger import BatchReport, LedgerCounts, StatementState
from twinsql.batch.resilience import RetryPolicy
from twinsql.batch.script import MetaCommand, ScriptReader, ScriptStatement
from twinsql.batch.statements import LiteralStatement, control_verb
from twinsql.connection._sync.database import Database, connect
from twinsql.connection.url import DatabaseURL, parse_url
from twinsql.migrations.arguments import add_parser as add_migrations_parser
from twinsql.orm.naming_choices import NAMINGS

__all__ = ["main"]

CHUNK_BYTES = 1 << 20
_PLAIN_EVERY = 2.0  # seconds between plain progress lines
_SHOWN = 20  # statements listed per state in the summary
_EXCERPT = 60  # characters of a pending statement shown in the summary


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twinsql", description="twinsql command-line tools (see README)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser(
        "load",
        help="stream a SQL file into a database through the batcher",
        description="Stream FILE (or - for stdin) into the database at URL through the "
        "batcher and print the ledger. Exit status 1 when any statement was not applied.",
    )
    load.add_argument("url", help="database URL, e.g. postgresql://user@host/db")
    load.add_argument("file", help="SQL script to load; - reads stdin")
    load.add_argument("--max-bytes", type=int, default=1_000_000, help="batch budget in bytes")
    load.add_argument(
        "--transaction",
        choices=("per_batch", "whole", "none"),
        default="per_batch",
        help="one transaction per batch (default), one for the whole file, or autocommit",
    )
    load.add_argument(
        "--isolate-errors",
        action="store_true",
        help="skip failing statements (savepoint per statement) instead of stopping",
    )
    load.add_argument("--no-merge", action="store_true", help="do not merge INSERTs")
    load.add_argument("--dry-run", action="store_true", help="plan and count; send nothing")
    load.add_argument("--retries", type=int, default=3, help="attempts per batch (default 3)")
    load.add_argument("--encoding", default="utf-8", help="file encoding (default utf-8)")
    load.add_argument("--no-progress", action="store_true", help="no progress output")
    reflect_cmd = commands.add_parser(
        "reflect",
        help="write model classes for the tables of an existing database",
        description="Print a Python module with one twinsql model per table of the database "
        "at URL: fields, keys, indexes, server defaults and relations.",
    )
    reflect_cmd.add_argument("url", help="database URL, e.g. postgresql://user@host/db")
    reflect_cmd.add_argument(
        "--tables", help="comma-separated table names to map (default: every table)"
    )
    reflect_cmd.add_argument(
        "--naming",
        choices=NAMINGS,
        default="auto",
        help="the naming rule to state on a shared base: the one that fits best (auto, the "
        "default), a preset, or none: snake_case (column= where names differ), as_is (fields "
        "named like the columns)",
    )
    add_migrations_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "load":
        return _load(args, sys.stdout, sys.stderr)
    if args.command == "reflect":
        return _reflect(args, sys.stdout, sys.stderr)
    if args.command == "migrations":
        # Imported here: ``load`` needs none of the migrations machinery (nor the ORM).
        from twinsql.migrations import cli as migrations_cli

        return migrations_cli.run(args, sys.stdout, sys.stderr)
    return 2  # pragma: no cover - argparse requires a command


class _Progress:
    """tqdm over the bytes read when it is installed and wanted, else a plain line on
    stderr at most every few seconds; the ledger counts ride along."""

    def __init__(self, total: int | None, stream: TextIO, enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled
        self._done = 0
        self._total = total
        self._counts: LedgerCounts | None = None
        self._last = time.monotonic()  # the first plain line only after a while
        self._printed = False
        self._bar: Any = None
        if enabled:
            try:
                from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, unit="B", unit_scale=True, file=stream,
                                 desc="load")  # fmt: skip

    def read(self, count: int) -> None:
        self._done += count
        if self._bar is not None:
            self._bar.update(count)
        self._maybe_print()

    def counts(self, counts: LedgerCounts) -> None:
        self._counts = counts
        if self._bar is not None:
            self._bar.set_postfix(applied=counts.applied, rejected=counts.rejected,
                                  refresh=False)  # fmt: skip
        self._maybe_print()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._printed:
            self._print()  # the final state of a load long enough to have shown progress

    def _maybe_print(self) -> None:
        if not self._enabled or self._bar is not None:
            return
        now = time.monotonic()
        if now - self._last >= _PLAIN_EVERY:
            self._last = now
            self._print()

    def _print(self) -> None:
        read = f"{self._done / 1e6:.1f} MB"
        if self._total:
            read += f" of {self._total / 1e6:.1f} MB"
        applied = f", {self._counts.applied} statements applied" if self._counts else ""
        print(f"load: {read} read{applied}", file=self._stream, flush=True)
        self._printed = True


class _BadText(Exception):
    """The file is not valid in its encoding, from ``line`` on."""

    def __init__(self, line: int, reason: str, encoding: str | None = None) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.encoding = encoding  # when not the file's (a script's SET NAMES)


def _chunks(
    binary: IO[bytes], encoding: str, progress: _Progress, errors: str = "strict"
) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    lines = 1  # the line the next chunk starts on
    held = b""  # bytes the decoder holds back (an incomplete character)
    while True:
        data = binary.read(CHUNK_BYTES)
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            start = max(0, exc.start - len(held))
            raise _BadText(lines + data[:start].count(b"\n"), exc.reason) from None
        if not data:
            if text:
                yield text
            return
        progress.read(len(data))
        lines += data.count(b"\n")
        held = decoder.getstate()[0]
        yield text


def _load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        url = parse_url(args.url)
        codecs.lookup(args.encoding)
    except (errors.Error, LookupError) as exc:
        print(f"twinsql load: {exc}", file=err)
        return 2
    if args.max_bytes < 1 or args.retries < 1:
        print("twinsql load: --max-bytes and --retries must be >= 1", file=err)
        return 2
    try:
        binary: IO[bytes] = (
            sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
        )
    except OSError as exc:
        print(f"twinsql load: cannot open {args.file}: {exc.strerror}", file=err)
        return 2
    total = None if args.file == "-" else os.fstat(binary.fileno()).st_size
    progress = _Progress(total, err, enabled=not args.no_progress)
    try:
        # One connection for the whole load: the script's session settings (SET, PRAGMA,
        # LOCK TABLES) stay on the connection its later statements run on.
        database = connect(_sqlite_load_options(url), pool_size=1, max_overflow=0)
        batcher = SQLBatcher(
            database, max_bytes=args.max_bytes, merge_inserts=not args.no_merge,
            dry_run=args.dry_run, transaction=args.transaction,
            isolate_errors=args.isolate_errors, retry=RetryPolicy(max_attempts=args.retries),
            progress=progress.counts,
        )  # fmt: skip
        reader = ScriptReader(
            url.backend, copy_chunk_bytes=args.max_bytes,  # type: ignore[arg-type]
            **({} if args.dry_run else _server_version(database)),
        )  # fmt: skip
    except errors.Error as exc:
        binary.close()
        print(f"twinsql load: {exc}", file=err)
        return 2
    script = _Script(reader, url.database or "", args.transaction, args.encoding)
    started = time.monotonic()
    try:
        report = batcher.process_statements(
            # A MySQL dump holds binary strings as raw bytes: kept undecoded (see the reader).
            script.statements(_chunks(binary, args.encoding, progress,
                                      "surrogateescape" if url.backend == "mysql" else "strict"))
        )
    except _BadText as exc:
        progress.close()
        where = f"at line {exc.line}" if exc.encoding is None else f"after line {exc.line}"
        print(f"twinsql load: {args.file} is not valid {exc.encoding or args.encoding} {where} "
              f"({exc.reason}); nothing from there on was read", file=err)  # fmt: skip
        report = batcher.report
        _summary(report, script, out, time.monotonic() - started, url.redacted())
        return 1
    except errors.Error as exc:  # the breaker was open before anything was read
        progress.close()
        print(f"twinsql load: {type(exc).__name__}: {exc.message}", file=err)
        return 1
    finally:
        batcher.close()
        database.close()
        if binary is not sys.stdin.buffer:
            binary.close()
    progress.close()
    _summary(report, script, out, time.monotonic() - started, url.redacted())
    return 0 if report.ok else 1


def _reflect(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from twinsql.orm._sync.reflection import reflect  # the ORM, for this command alone

    try:
        url = parse_url(args.url)
    except errors.Error as exc:
        print(f"twinsql reflect: {exc}", file=err)
        return 2
    tables = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
    database = connect(url, pool_size=1, max_overflow=0)
    try:
        source = reflect(database, tables=tables, naming=args.naming)
    except errors.ArgumentError as exc:
        print(f"twinsql reflect: {exc}", file=err)
        return 2
    except errors.Error as exc:
        print(f"twinsql reflect: {type(exc).__name__}: {exc} ({url.redacted()})", file=err)
        return 1
    finally:
        database.close()
    out.write(source)
    return 0


class _Script:
    """What the load makes of the script's items: statements for the batcher, the line of
    each one, and how the client-side lines were dealt with.

    * The script's own ``BEGIN``/``COMMIT`` (every ``sqlite3 .dump``) are mapped onto the
      batcher's transactions (``--transaction``): they are counted and not sent. A
      ``ROLLBACK`` or a savepoint goes to the batcher, which refuses it.
    * psql meta-commands that pg_dump writes are honoured: ``\\restrict``/``\\unrestrict``
      (they guard psql against meta-commands in the data, which nothing here runs) and a
      ``\\connect`` to the database being loaded. Any other is refused, naming its line.
    * MySQL's ``SET NAMES cs`` says in which character set the script's text is written:
      the text after it is read in ``cs`` (the file's bytes, re-read), and the statement is
      not sent: the connection keeps the driver's utf8mb4, so the values arrive as the
      script meant them. ``SET NAMES`` of utf8 (or DEFAULT) reads on as the file's encoding
      and is sent; a character set twinsql cannot read this way is refused, naming its line.
    """

    def __init__(
        self, reader: ScriptReader, database: str, transaction: str, encoding: str = "utf-8"
    ) -> None:
        self.reader = reader
        self.database = database
        self.transaction = transaction
        self.encoding = encoding
        self.lines = LineMap()  # the line each submitted statement starts on, by index
        self.mapped = 0  # the script's BEGIN / COMMIT, replaced by the batcher's
        self.meta = 0  # meta-commands honoured
        self.copied = 0  # COPY rows submitted
        self.charsets: list[tuple[int, str]] = []  # (line, character set) of SET NAMES read

    def statements(self, chunks: Iterator[str]) -> Iterator[Any]:
        lines = self.lines
        lexer = self.reader.lexer
        for item in self.reader.read(chunks):
            if type(item) is ScriptStatement and item.insert is not None:
                # An INSERT of literal rows, read as such: no BEGIN, COMMIT or SET NAMES.
                lines.append(item.line)
                yield LiteralStatement(item.sql, item.insert)
                continue
            if isinstance(item, MetaCommand):
                refusal = self._meta(item.text)
                if refusal is None:
                    self.meta += 1
                    continue
                lines.append(item.line)
                yield Refused(item.text, errors.ArgumentError(refusal))
                continue
            if item.copy is not None:
                self.copied += item.copy.rows
                lines.append(item.line)
                yield item.sql, item.copy
                continue
            if control_verb(item.sql, lexer) in ("begin", "commit"):
                self.mapped += 1
                continue
            charset = set_names(item.sql) if lexer == "mysql" else None
            if charset is not None:
                refusal = self._set_names(charset, item.line)
                if refusal is not None:
                    lines.append(item.line)
                    yield Refused(item.sql, errors.ArgumentError(refusal))
                    continue
                if self.reader.recode is not None:
                    continue  # read here, not sent
            lines.append(item.line)
            yield item.sql

    def notes(self) -> list[str]:
        """How the script's client-side lines were taken, for the summary."""
        notes = []
        if self.mapped:
            notes.append(
                f"the script's BEGIN/COMMIT ({self.mapped}) were mapped onto the load's own "
                f"transactions (--transaction {self.transaction})"
            )
        if self.meta:
            notes.append(f"psql meta-commands honoured: {self.meta}")
        if self.copied:
            notes.append(f"COPY rows read: {self.copied}")
        for line, charset in self.charsets:
            notes.append(f"SET NAMES {charset} (line {line}): the text after it was read as "
                         f"{charset}")  # fmt: skip
        return notes

    def _set_names(self, charset: str, line: int) -> str | None:
        """Read the script on in ``charset``; why it cannot be, or None."""
        if charset.lower() in UTF8_CHARSETS:
            self.reader.recode = None
            return None
        decode = charset_decoder(charset)
        if decode is None:
            return (
                f"SET NAMES {charset}: twinsql load reads a script in utf8, utf8mb4 or a "
                "single-byte character set (latin1, latin2, cp1250 …); convert the file to "
                "UTF-8"
            )
        encoding = self.encoding

        def recode(sql: str) -> str:
            try:
                return decode(sql.encode(encoding, "surrogateescape"))
            except UnicodeDecodeError as exc:
                # Where exactly is not known here; the SET NAMES line bounds it.
                raise _BadText(line, f"SET NAMES {charset}: {exc.reason}", charset) from None

        self.reader.recode = recode
        self.charsets.append((line, charset))
        return None

    def _meta(self, text: str) -> str | None:
        """Why a meta-command is refused; None when it is honoured."""
        words = text.split()
        command = words[0]
        if command in ("\\restrict", "\\unrestrict"):
            return None
        if command in ("\\connect", "\\c") and len(words) >= 2 and words[1].strip('"') in (
            self.database, "-"
        ):  # fmt: skip
            return None
        return (
            f"the psql meta-command {command} is not supported by twinsql load (only "
            "\\restrict, \\unrestrict and \\connect to the database being loaded are)"
        )


def _sqlite_load_options(url: DatabaseURL) -> DatabaseURL:
    """A load's SQLite connection: no statement cache (a dump's statements are distinct,
    and sqlite3 would keep its last 128 merged megabyte INSERTs, compiled), and the file's
    journal mode left as it was (``_keep_journal_mode``); options the URL gives win."""
    if url.backend != "sqlite":
        return url
    url = _keep_journal_mode(url)
    if "statement_cache_size" in url.options:
        return url
    return dataclasses.replace(url, options={**url.options, "statement_cache_size": "0"})


class LineMap:
    """The line each statement starts on, by statement index, kept as runs of a constant
    step (a dump's statements are one per line, or a fixed number of lines apart): a
    200 MB dump of three million statements costs a few runs, not one number each."""

    def __init__(self) -> None:
        self._starts = array("Q")  # the index of each run's first statement
        self._lines = array("Q")  # its line
        self._steps = array("q")  # lines from one statement of the run to the next
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, line: int) -> None:
        count, starts = self._count, self._starts
        if starts:
            step, first, begun = self._steps[-1], self._lines[-1], starts[-1]
            if count - begun == 1:  # a run of one statement: the second one sets its step
                self._steps[-1] = line - first
                self._count += 1
                return
            if first + step * (count - begun) == line:
                self._count += 1
                return
        starts.append(count)
        self._lines.append(line)
        self._steps.append(0)
        self._count += 1

    def runs(self) -> list[tuple[int, int, int]]:
        """``(first statement, its line, step)`` of each run."""
        return list(zip(self._starts, self._lines, self._steps))

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self._count:
            raise IndexError(index)
        run = bisect.bisect_right(self._starts, index) - 1
        return self._lines[run] + self._steps[run] * (index - self._starts[run])


def _keep_journal_mode(url: DatabaseURL) -> DatabaseURL:
    """A load leaves a SQLite file's journal mode as it was (a new file: SQLite's own
    default), rather than switching it to twinsql's WAL."""
    if url.backend != "sqlite" or url.is_memory or "journal_mode" in url.options:
        return url
    path = url.database or ""
    mode = "delete"
    if os.path.exists(path):
        import sqlite3  # only to read the mode the file has

        with contextlib.closing(sqlite3.connect(path)) as conn:
            mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    return dataclasses.replace(url, options={**url.options, "journal_mode": mode})


def _server_version(database: Database) -> dict[str, Any]:
    """For MySQL and MariaDB: the server's version as the reader's executable-comment gate
    wants it (``major * 10000 + minor * 100 + patch``) and whether it is MariaDB. For
    PostgreSQL: the session's ``standard_conforming_strings``, which psql reads the script
    by."""
    if database.url.backend == "postgresql":
        try:
            value = database.execute_scalar("SHOW standard_conforming_strings")
        except errors.Error:
            # Unreachable now: the load reports that itself; the setting is then taken
            # as on, every server's default since PostgreSQL 9.1.
            return {}
        return {"standard_strings": str(value).lower() == "on"}
    if database.url.backend != "mysql":
        return {}
    version = str(database.execute_scalar("SELECT VERSION()"))
    numbers = [int(part) for part in re.findall(r"\d+", version.split("-")[0])[:3]]
    numbers += [0] * (3 - len(numbers))
    return {
        "server_version": numbers[0] * 10000 + numbers[1] * 100 + numbers[2],
        "mariadb": "mariadb" in version.lower(),
    }


def _summary(report: BatchReport, script: _Script, out: TextIO, seconds: float, where: str) -> None:
    """Print the ledger. A reader that closed the pipe (``| head``) ends the printing
    quietly: the load itself is over by then, and its exit status stands."""
    try:
        _print_summary(report, script, out, seconds, where)
        out.flush()
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):
            # Nothing more can be written; point the stream at /dev/null so that the
            # interpreter's final flush does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())


def _print_summary(
    report: BatchReport, script: _Script, out: TextIO, seconds: float, where: str
) -> None:
    lines = script.lines

    def line_of(index: int) -> str:
        return f"line {lines[index]}" if index < len(lines) else "?"

    timing = f"in {seconds:.1f}s ({report.batches} batches, {report.retries} retries)"
    if report.dry_run:
        print(f"{report.submitted} statements planned for {where} {timing}", file=out)
    elif report.batches == 0:
        print(f"{report.submitted} statements read; nothing was sent to {where}", file=out)
    else:
        print(f"{report.submitted} statements sent to {where} {timing}", file=out)
    print(
        f"applied {report.applied}  rejected {report.rejected}  pending {report.pending}  "
        f"unknown {report.unknown}" + ("  (dry run: nothing was executed)" if report.dry_run
                                       else ""),
        file=out,
    )  # fmt: skip
    for note in script.notes():
        print(note, file=out)
    if report.error is not None:
        print(f"stopped by {type(report.error).__name__}: {_first_line(report.error)}",
              file=out)  # fmt: skip
    states = [StatementState.REJECTED, StatementState.UNKNOWN]
    if not report.dry_run:
        states.append(StatementState.PENDING)
    for state in states:
        indices = report.indices(state)
        for index in indices[:_SHOWN]:
            entry = report.entry(index)
            if entry.error is not None:
                reason = f": {type(entry.error).__name__}: {_first_line(entry.error)}"
            else:
                reason = f": {_excerpt(entry.sql)}" if entry.sql else ""
            print(f"  {state.value} #{index} ({line_of(index)}){reason}", file=out)
        if len(indices) > _SHOWN:
            print(f"  … and {len(indices) - _SHOWN} more {state.value}", file=out)


def _excerpt(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
