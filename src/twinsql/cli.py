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
"""

from __future__ import annotations

import argparse
import codecs
import os
import sys
import time
from array import array
from collections.abc import Iterator, Sequence
from typing import IO, Any, TextIO

from twinsql import errors
from twinsql.batch._sync.batcher import SQLBatcher
from twinsql.batch.ledger import BatchReport, LedgerCounts, StatementState
from twinsql.batch.resilience import RetryPolicy
from twinsql.batch.script import iter_statements
from twinsql.connection.url import parse_url
from twinsql.sql.lexer import Lexer

__all__ = ["main"]

CHUNK_BYTES = 1 << 20
_PLAIN_EVERY = 2.0  # seconds between plain progress lines
_SHOWN = 20  # statements listed per state in the summary


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "load":
        return _load(args, sys.stdout, sys.stderr)
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


def _chunks(binary: IO[bytes], encoding: str, progress: _Progress) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    while True:
        data = binary.read(CHUNK_BYTES)
        if not data:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        progress.read(len(data))
        yield decoder.decode(data)


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
    lines = array("L")  # the line each submitted statement starts on, by index
    lexer: Lexer = url.backend  # type: ignore[assignment]

    def statements() -> Iterator[str]:
        for statement, line in iter_statements(_chunks(binary, args.encoding, progress), lexer):
            lines.append(line)
            yield statement

    try:
        batcher = SQLBatcher(
            url, max_bytes=args.max_bytes, merge_inserts=not args.no_merge,
            dry_run=args.dry_run, transaction=args.transaction,
            isolate_errors=args.isolate_errors, retry=RetryPolicy(max_attempts=args.retries),
            progress=progress.counts,
        )  # fmt: skip
    except errors.Error as exc:
        binary.close()
        print(f"twinsql load: {exc}", file=err)
        return 2
    started = time.monotonic()
    try:
        report = batcher.process_statements(statements())
    except UnicodeDecodeError as exc:
        progress.close()
        print(f"twinsql load: {args.file} is not valid {args.encoding}: {exc}", file=err)
        report = batcher.report
        _summary(report, lines, out, time.monotonic() - started, url.redacted())
        return 1
    except errors.Error as exc:  # the breaker was open before anything was read
        progress.close()
        print(f"twinsql load: {type(exc).__name__}: {exc.message}", file=err)
        return 1
    finally:
        batcher.close()
        if binary is not sys.stdin.buffer:
            binary.close()
    progress.close()
    _summary(report, lines, out, time.monotonic() - started, url.redacted())
    return 0 if report.ok else 1


def _summary(
    report: BatchReport, lines: array[int], out: TextIO, seconds: float, where: str
) -> None:
    def line_of(index: int) -> str:
        return f"line {lines[index]}" if index < len(lines) else "?"

    verb = "planned for" if report.dry_run else "sent to"
    print(f"{report.submitted} statements {verb} {where} in {seconds:.1f}s "
          f"({report.batches} batches, {report.retries} retries)", file=out)  # fmt: skip
    print(
        f"applied {report.applied}  rejected {report.rejected}  pending {report.pending}  "
        f"unknown {report.unknown}" + ("  (dry run: nothing was executed)" if report.dry_run
                                       else ""),
        file=out,
    )  # fmt: skip
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
            reason = ""
            if entry.error is not None:
                reason = f": {type(entry.error).__name__}: {_first_line(entry.error)}"
            print(f"  {state.value} #{index} ({line_of(index)}){reason}", file=out)
        if len(indices) > _SHOWN:
            print(f"  … and {len(indices) - _SHOWN} more {state.value}", file=out)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
