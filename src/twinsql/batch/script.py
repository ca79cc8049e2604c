"""Batch feature, pure: reading a SQL script as it streams in, as the command-line clients do.

``twinsql.sql.script.split_statements`` splits a whole text; a 1 GB dump should not be one
text.  ``ScriptReader.read`` takes the script in chunks (any sizes) and yields each
statement as soon as the separator that ends it has arrived, with the line it starts on
(the line of its first word, not of the comments above it).  It applies the splitter's rule
(``separators``: quotes, comments, dollar quotes and ``BEGIN … END`` bodies are never split),
and reads what the clients read besides SQL:

* a UTF-8 byte order mark at the start is dropped (psql and mariadb accept one);
* PostgreSQL: a ``;`` inside parentheses ends nothing (psql tracks their depth: a rule's
  ``DO ALSO (a; b)`` is one statement); ``standard_conforming_strings`` is followed as psql
  follows it — from the session's value (``standard_strings``) and the script's own
  ``SET``/``RESET standard_conforming_strings`` on: while it is off, ``'…'`` takes backslash
  escapes, and such a literal holding a backslash is sent as the ``E'…'`` literal it means
  (the same value under either setting, and read alike by every later reader);
* PostgreSQL: ``COPY … FROM STDIN;`` is followed by its rows, up to a line ``\\.``: they
  come as ``CopyData`` with the statement, cut at row ends into pieces of about
  ``copy_chunk_bytes`` (each piece one statement); a line starting with ``\\`` where a
  statement starts is a psql meta-command: it ends at the end of its line and comes as a
  ``MetaCommand`` (the caller decides what to do with it; it never runs into the next
  statement);
* MySQL: ``DELIMITER xx`` where a statement starts changes the separator, as the mysql
  client does (then statements end at ``xx`` outside quotes and comments, and ``;`` is
  text); executable comments ``/*!NNNNN … */`` (and MariaDB's ``/*M!NNNNN … */``) whose
  version is above the server's (``server_version``, e.g. 100611 for 10.6.11) are comments,
  as the client and the server read them — a statement left blank by them is skipped;
  a dump holds binary strings as raw bytes, which the mysql client sends as they are: the
  caller decodes the file with ``errors="surrogateescape"``, and a string literal holding
  such bytes is sent as the hex literal of exactly those bytes (``X'00ff'``).

How: the unread text is kept in a buffer and scanned from where the last statement ended,
a window at a time (growing while it holds no separator); every statement up to the last
separator found is complete, because a token that ends before a separator cannot change with
text that arrives later.  When no separator is found in what has arrived, the buffer is
scanned again only once it has doubled, so a statement much longer than a chunk costs
linear, not quadratic, time.  Line numbers are counted as the text is consumed.

The lane: where a statement starts, the INSERTs of literal rows a dump is made of are first
tried with one regex each (``sql.literal_insert``), which finds the statement, its ``;``
and its structure at once; the statement comes with what was found (``insert``), so the
batcher does not read it again.  Everything else — and any INSERT the regex does not take
— is read token by token as above; the two readings give the same statements and lines (a
test compares them on real dumps cut into chunks of any size).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from twinsql.batch.client_text import (
    STANDARD_STRINGS_RE,
    UNDECODED_RE,
    binary_literals,
    delimited,
    end_of_data,
    escape_strings,
    gaps,
    pg_bool,
)
from twinsql.batch.statements import CopyData, reads_stdin
from twinsql.errors import ArgumentError
from twinsql.sql.lexer import COMMENT, Lexer, Token, check_lexer, scan
from twinsql.sql.literal_insert import (
    LiteralInsert,
    literal_insert_found,
    literal_insert_statement,
)
from twinsql.sql.script import separators

__all__ = ["MetaCommand", "ScriptReader", "ScriptStatement", "iter_statements"]

_WINDOW = 1 << 16  # characters scanned at first for the next separators
_LANE_WINDOW = 1 << 12  # the same while the lane of literal INSERTs is open
_INSERT = ("INSERT", "insert", "Insert")
# After an INSERT's last complete row, at the end of what has arrived: the start of the next
# row, if anything. A row cut longer than _ROW_TAIL is left to the tokenizer's reading.
_UNFINISHED_ROW_RE = re.compile(r"\s*(?:,\s*(?:\([\s\S]*)?)?\Z")
_ROW_TAIL = 1 << 16
_DELIMITER_RE = re.compile(r"delimiter[ \t]+(\S+)[^\n]*", re.IGNORECASE)
_EXECUTABLE_RE = re.compile(r"/\*(M?)!([0-9]{5,6})?")
_BLANKS_RE = re.compile(r"\s*")


class ScriptStatement(NamedTuple):
    """One statement of the script (stripped, without its separator) and its line; for a
    ``COPY … FROM STDIN``, ``copy`` holds (a piece of) its rows; for an INSERT of literal
    rows read by the lane, ``insert`` holds what ``literal_insert`` makes of it. (A named
    tuple: made once per statement of a dump, it costs a fifth of a frozen dataclass.)"""

    sql: str
    line: int
    copy: CopyData | None = None
    insert: LiteralInsert | None = None

    # What was read is the text, its line and its rows: ``insert`` is derived from the text.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScriptStatement):
            return NotImplemented
        return self[:3] == other[:3]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[:3])


@dataclass(frozen=True, slots=True)
class MetaCommand:
    """A psql meta-command line (``\\restrict …``, ``\\connect …``), without its newline."""

    text: str
    line: int


ScriptItem = ScriptStatement | MetaCommand
# A reading step: yields items, returns whether to go on (None: more text is needed).
_Step = Generator[ScriptItem, None, bool | None]


class ScriptReader:
    """Reads one script (see the module docstring). ``server_version``: the MySQL or
    MariaDB server's version as a number (``major * 10000 + minor * 100 + patch``), which
    gates executable comments; None runs them all. ``mariadb``: the server runs
    ``/*M!…*/`` comments too. ``literal_lane``: the INSERTs of literal rows a dump is made
    of are read in one regex step each (False: through the tokenizer, like every other
    statement; the statements and lines are the same either way)."""

    def __init__(
        self,
        lexer: Lexer,
        *,
        server_version: int | None = None,
        mariadb: bool = False,
        copy_chunk_bytes: int = 1 << 20,
        standard_strings: bool = True,
        literal_lane: bool = True,
    ) -> None:
        self.lexer: Lexer = check_lexer(lexer)  # type: ignore[assignment]
        self.server_version = server_version
        self.mariadb = mariadb
        # PostgreSQL's standard_conforming_strings: the session's, then as the script sets it.
        self.standard_strings = self._session_strings = standard_strings
        self.copy_chunk_bytes = max(1, copy_chunk_bytes)
        self.delimiter = ";"
        # Set by the caller while the script's text is to be read in another character set
        # (a MySQL script's SET NAMES): applied to each statement before it is yielded.
        self.recode: Callable[[str], str] | None = None
        self._buf = ""
        self._pos = 0  # the buffer is read up to here
        self._line = 1  # the line at _pos
        self._copy: tuple[str, bool] | None = None  # a COPY reading rows; any piece sent yet
        # The statements a dump is made of, read without the tokenizer (_literal_inserts).
        # (literal_lane=False reads them like any other statement: the same result.)
        # Where the lane last found an INSERT still arriving, and how long the buffer was.
        self._waiting = (-1, -1)
        self._lane = literal_insert_statement(self.lexer) if literal_lane else None

    def read(self, chunks: Iterable[str]) -> Iterator[ScriptItem]:
        """Every statement and meta-command of the script given as ``chunks``."""
        scan_at = 0  # scan again once the unread text has reached this length
        first = True
        for chunk in chunks:
            if not chunk:
                continue
            if first:
                chunk, first = chunk.removeprefix("\ufeff"), False
            self._buf = self._buf[self._pos :] + chunk
            self._pos = 0
            if len(self._buf) < scan_at:
                continue
            progressed = yield from self._drain(final=False)
            scan_at = 0 if progressed else 2 * len(self._buf)
        yield from self._drain(final=True)

    # -- statements ---------------------------------------------------------------------

    def _drain(self, *, final: bool) -> _Step:
        """Yield what is complete in the buffer; return whether anything was read."""
        progressed = False
        while True:
            if self._copy is not None:
                before = self._pos
                if not (yield from self._copy_rows(final)):
                    # Rows sent are progress too: else the buffer would wait to double
                    # before the next look, and grow with the COPY block.
                    return progressed or self._pos > before
                progressed = True
                continue
            step = yield from self._statements(final)
            if step is None:
                return progressed
            progressed = progressed or step

    def _statements(self, final: bool) -> _Step:
        """Read the statements of the next window. Returns True to be called again (a
        separator or a directive changed how the rest reads), None when more text is
        needed."""
        lane = self._lane if self.delimiter == ";" and self.standard_strings else None
        if lane is not None:
            read = yield from self._literal_inserts(lane, final)
            if read is None:
                return None  # an INSERT of literal rows still arriving
            if read:
                return True
        buf, pos = self._buf, self._pos
        if _BLANKS_RE.match(buf, pos).end() == len(buf):  # type: ignore[union-attr]
            return None
        # With the lane open, the general reading stops at the next INSERT it may take:
        # a small first window, so that a script alternating the two scans little twice.
        window = _WINDOW if lane is None else _LANE_WINDOW
        while True:
            end = min(len(buf), pos + window)
            last = end == len(buf)
            text = buf[pos:end]
            tokens, ends = self._split(text, final and last)
            if ends or last:
                break
            window *= 2
        starts = [token[1] for token in tokens]
        begin = 0
        for stop, after in ends or [(len(text), len(text))]:
            code = _code_start(text, tokens, starts, begin, stop, self._runs)
            if lane is not None and begin and text.startswith(_INSERT, code):
                self._advance(pos + begin)
                return True  # the lane reads on from here
            if code < stop:
                meta = self._directive(text, pos, code, final and last)
                if meta is False:  # a directive whose line has not ended yet
                    if not begin:
                        return None
                    self._advance(pos + begin)
                    return True  # the statements before it were read
                if meta is not None:
                    if isinstance(meta, MetaCommand):
                        yield meta
                    return True
            if not ends:
                return None  # the statement has not ended yet
            if code < stop:
                sql = self._decoded(self._gate(text[begin:stop].strip()))
                if sql and self.lexer == "postgresql" and reads_stdin(sql, self.lexer):
                    # Its rows start on the next line: read them once that line has come.
                    newline = text.find("\n", after)
                    if newline < 0 and not (final and last):
                        self._advance(pos + begin)
                        return None
                    self._advance(pos + (len(text) if newline < 0 else newline + 1))
                    self._copy = (sql, False)
                    return True
                self._advance(pos + code)
                if sql and self.lexer == "postgresql":
                    if not self.standard_strings and "\\" in sql:
                        sql = escape_strings(sql)
                    strings = self._strings_set(text, code, stop)
                    if strings is not None and strings != self.standard_strings:
                        yield ScriptStatement(sql, self._line)
                        # The rest was split under the old setting: read it again.
                        self.standard_strings = strings
                        self._advance(pos + after)
                        return True
                if sql:
                    yield ScriptStatement(sql, self._line)
            begin = after
        self._advance(pos + begin)
        return True

    def _decoded(self, sql: str) -> str:
        """A MySQL statement as the server reads it: in the script's character set (SET
        NAMES), its raw bytes in strings as hex literals."""
        if self.recode is not None:
            sql = self.recode(sql)
        if self.lexer == "mysql" and UNDECODED_RE.search(sql):
            sql = binary_literals(sql)
        return sql

    def _literal_inserts(self, lane: tuple[re.Pattern[str], re.Pattern[str]], final: bool) -> _Step:
        """The lane: read the INSERTs of literal rows that come next, one regex step each
        (``literal_insert_statement``), as the general reading would read them — they hold
        no comment, directive or COPY, and the lane is open only while ``;`` ends
        statements and PostgreSQL strings are standard. Returns whether it read any; None
        when the next statement is such an INSERT whose end has not arrived yet (what is
        there ends in an unfinished row): it is read whole once it has, without the
        tokenizer going over what has come of it (a megabyte, for mariadb-dump's)."""
        buf, pos, line = self._buf, self._pos, self._line
        if not final and self._waiting == (pos, len(buf)):
            return None  # already looked at: nothing has arrived since
        count, decoded, lexer = buf.count, self._decoded, self.lexer
        match, partial = lane[0].match, lane[1]
        moved = False
        while True:
            found = match(buf, pos)
            if found is None:
                break
            start = found.start(1)
            line += count("\n", pos, start)
            pos = found.end()
            self._pos, self._line = pos, line + count("\n", start, pos)
            moved = True
            sql = found.group(1)
            text = decoded(sql)
            if text is sql:  # as found: what the match says of it holds
                yield ScriptStatement(sql, line, None, literal_insert_found(sql, lexer, found))
            else:
                yield ScriptStatement(text, line)
            line = self._line
        if final:
            return moved
        rows = partial.match(buf, pos)
        if rows is None or len(buf) - rows.end() > _ROW_TAIL:
            return moved
        if _UNFINISHED_ROW_RE.match(buf, rows.end()) is None:
            return moved
        self._waiting = (pos, len(buf))
        return True if moved else None

    def _split(self, text: str, final: bool) -> tuple[list[Token], list[tuple[int, int]]]:
        """The tokens of ``text`` and each statement end in it as ``(separator start,
        separator end)``; with ``final`` the end of the text ends the last statement."""
        tokens, _ = scan(text, self.lexer, standard_strings=self.standard_strings)
        if self.delimiter == ";":
            ends = [(tokens[i][1], tokens[i][2]) for i in separators(text, tokens, self.lexer)]
        else:
            ends = delimited(text, tokens, self.delimiter)
        if final and (not ends or ends[-1][1] < len(text)):
            ends.append((len(text), len(text)))
        return tokens, ends

    def _directive(self, text: str, base: int, code: int, final: bool) -> MetaCommand | bool | None:
        """Read a meta-command or DELIMITER line starting at ``text[code]`` (``text`` starts
        at ``base`` in the buffer): the meta-command, True for a DELIMITER line, False when
        its line has not ended yet (a ``;`` on it must not end a statement), None when
        there is none."""
        is_meta = self.lexer == "postgresql" and text.startswith("\\", code)
        match = None if is_meta or self.lexer != "mysql" else _DELIMITER_RE.match(text, code)
        if not is_meta and match is None:
            return None
        newline = text.find("\n", code)
        if newline < 0 and not final:
            return False  # wait for the end of the line
        eol = len(text) if newline < 0 else newline
        self._advance(base + code)
        line = self._line
        self._advance(base + eol + (newline >= 0))
        if match is not None:
            self.delimiter = match.group(1)
            return True
        return MetaCommand(text[code:eol].rstrip("\r"), line)

    def _strings_set(self, text: str, code: int, stop: int) -> bool | None:
        """What ``standard_conforming_strings`` is after the statement ``text[code:stop]``
        runs, when it sets or resets it; None for any other statement (or a value the server
        refuses)."""
        if text[code : code + 3].upper() not in ("SET", "RES"):
            return None
        match = STANDARD_STRINGS_RE.fullmatch(text, code, stop)
        if match is None:
            return None
        value = match.group("value")
        if value is None or value.upper() == "DEFAULT":
            return self._session_strings  # RESET, or SET … TO DEFAULT
        return pg_bool(value.strip("'\""))

    def _gate(self, sql: str) -> str:
        """``sql`` without the executable comments the server would not run."""
        if self.lexer != "mysql" or self.server_version is None or "/*" not in sql:
            return sql
        # Work on the statement itself: cheap, and its offsets are its own.
        tokens, _ = scan(sql, self.lexer)
        cuts: list[tuple[int, int]] = []
        opened = -1
        for kind, start, end in tokens:
            if kind != COMMENT:
                continue
            if opened >= 0:
                if sql.startswith("*/", start) and end - start == 2:
                    cuts.append((opened, end))
                    opened = -1
                continue
            match = _EXECUTABLE_RE.match(sql, start, end)
            if match is not None and match.end() == end and not self._runs(match):
                opened = start
        if opened >= 0:
            cuts.append((opened, len(sql)))
        if not cuts:
            return sql
        pieces, at = [], 0
        for start, end in cuts:
            pieces.append(sql[at:start])
            at = end
        pieces.append(sql[at:])
        kept = " ".join(piece.strip() for piece in pieces if piece.strip())
        rest, _ = scan(kept, self.lexer)
        if all(kind == COMMENT for kind, _, _ in rest) and not gaps(kept, rest).strip():
            return ""
        return kept

    def _runs(self, match: re.Match[str]) -> bool:
        """Whether the server runs an executable comment with this opener."""
        if self.server_version is None:
            return True
        if match.group(1) and not self.mariadb:
            return False  # /*M!…*/ is MariaDB's
        version = match.group(2)
        return version is None or int(version) <= self.server_version

    # -- COPY rows ----------------------------------------------------------------------

    def _copy_rows(self, final: bool) -> _Step:
        """Yield the COPY's rows in pieces; return True once its ``\\.`` line was read (or
        the script ended), False when more text is needed."""
        assert self._copy is not None
        buf = self._buf
        marker = end_of_data(buf, self._pos)
        done = marker >= 0 or final
        if marker >= 0:
            data_end = marker
        elif final:
            data_end = len(buf)
        else:  # after the last complete row
            data_end = max(self._pos, buf.rfind("\n", self._pos) + 1)
        limit = self.copy_chunk_bytes
        while data_end - self._pos >= limit:
            newline = buf.rfind("\n", self._pos, self._pos + limit)
            if newline < 0:  # a row longer than a piece: a piece of its own
                newline = buf.find("\n", self._pos + limit, data_end)
            cut = data_end if newline < 0 else newline + 1
            yield from self._copy_piece(buf[self._pos : cut], cut)
        if not done:
            return False
        if self._pos < data_end or not self._copy[1]:
            yield from self._copy_piece(buf[self._pos : data_end], data_end)
        if marker >= 0:
            newline = buf.find("\n", marker)
            self._advance(len(buf) if newline < 0 else newline + 1)
        self._copy = None
        return True

    def _copy_piece(self, data: str, cut: int) -> Iterator[ScriptItem]:
        assert self._copy is not None
        sql, _ = self._copy
        line = self._line
        self._advance(cut)
        if data and not data.endswith("\n"):
            data += "\n"  # the last row of a script that ends without its newline
        self._copy = (sql, True)
        yield ScriptStatement(sql, line, CopyData(data, data.count("\n")))

    # -- positions ----------------------------------------------------------------------

    def _advance(self, to: int) -> None:
        """Consume the buffer up to ``to``, counting its lines."""
        self._line += self._buf.count("\n", self._pos, to)
        self._pos = to


def _code_start(
    text: str,
    tokens: list[Token],
    starts: list[int],
    begin: int,
    stop: int,
    runs: Callable[[re.Match[str]], bool],
) -> int:
    """The first character of ``text[begin:stop]`` that is neither blank nor in a comment
    (an executable comment the server runs is code: ``runs`` says which); ``stop`` when there
    is none."""
    index = bisect.bisect_left(starts, begin)
    at = begin
    while True:
        blanks = _BLANKS_RE.match(text, at, stop)
        at = blanks.end() if blanks is not None else at
        while index < len(tokens) and tokens[index][1] < at:
            index += 1
        if at >= stop:
            return stop
        if index >= len(tokens) or tokens[index][1] != at or tokens[index][0] != COMMENT:
            return at
        executable = _EXECUTABLE_RE.match(text, at, tokens[index][2])
        if executable is None:
            at = tokens[index][2]
            continue
        if runs(executable):
            return at
        index += 1  # skip to its closing "*/"
        while index < len(tokens) and not (
            tokens[index][0] == COMMENT and text.startswith("*/", tokens[index][1])
        ):
            index += 1
        at = tokens[index][2] if index < len(tokens) else stop


def iter_statements(chunks: Iterable[str], lexer: Lexer) -> Iterator[tuple[str, int]]:
    """Yield ``(statement, line)`` for each statement of the script given as ``chunks``
    (see ``ScriptReader``); a psql meta-command or COPY rows raise ``ArgumentError``."""
    for item in ScriptReader(lexer).read(chunks):
        if isinstance(item, MetaCommand) or item.copy is not None:
            raise ArgumentError(f"line {item.line}: not a SQL statement")
        yield item.sql, item.line
