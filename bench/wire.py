"""What a client sends, counted on the wire: statements and round trips per operation.

``pg_stat_statements`` does not count the executions of *prepared* utility statements
(PostgreSQL 15: a ``BEGIN`` that psycopg has auto-prepared after five uses is counted five
times, then never again), and MySQL has no per-database statement statistics at all. So
``proxy.py`` can also feed the client's byte stream to one of these parsers, which count,
per connection:

* statements: PostgreSQL simple-query statements (a ``Query`` message split on ``;``) and
  extended-protocol ``Execute`` messages (the text found through ``Bind`` → ``Parse``);
  MySQL command packets (``COM_QUERY`` text, ``COM_STMT_EXECUTE``, ``COM_PING``,
  ``COM_RESET_CONNECTION``…);
* prepares: PostgreSQL ``Parse`` messages (a statement prepared again on every call shows);
* round trips: each time the client speaks after the server has (so a pipeline of
  statements sent before reading counts once).

Parsing is incremental and tolerant: bytes it does not understand are skipped.
"""

from __future__ import annotations

import collections
import re
import threading

_SPACE = re.compile(r"\s+")
_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|(?<![$\w.])\d+(?:\.\d+)?\b")
_MYSQL_COMMANDS = {0x01: "QUIT", 0x02: "INIT_DB", 0x0E: "PING", 0x11: "CHANGE_USER",
                   0x16: "STMT_PREPARE", 0x17: "STMT_EXECUTE", 0x19: "STMT_CLOSE",
                   0x1F: "RESET_CONNECTION"}  # fmt: skip


def _norm(text: str) -> str:
    """One line, literals replaced by ``?`` (MySQL drivers inline the parameters)."""
    return _LITERAL.sub("?", _SPACE.sub(" ", text)).strip()[:160]


def split_statements(sql: str) -> list[str]:
    """``sql`` split on semicolons outside single-quoted strings; empty parts dropped."""
    parts, current, quoted = [], [], False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in (s.strip() for s in parts) if p]


class Tally:
    """Counts shared by every connection of one proxy (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statements: collections.Counter[str] = collections.Counter()
        self.round_trips = 0
        self.prepares = 0

    def reset(self) -> None:
        with self.lock:
            self.statements.clear()
            self.round_trips = 0
            self.prepares = 0

    def prepared(self) -> None:
        with self.lock:
            self.prepares += 1

    def add(self, text: str) -> None:
        with self.lock:
            self.statements[_norm(text)] += 1

    def turn(self) -> None:
        with self.lock:
            self.round_trips += 1

    def snapshot(self) -> tuple[int, int, int, list[tuple[str, int]]]:
        """(statements, round trips, prepares, the statements most sent first)."""
        with self.lock:
            top = self.statements.most_common()
            return sum(self.statements.values()), self.round_trips, self.prepares, top


class _Stream:
    """One connection's client→server bytes, with turn detection."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.buf = bytearray()
        self.server_spoke = True

    def from_server(self) -> None:
        self.server_spoke = True

    def from_client(self, data: bytes) -> None:
        if self.server_spoke:
            self.tally.turn()
            self.server_spoke = False
        self.buf += data
        self.parse()

    def parse(self) -> None:
        raise NotImplementedError


class PostgresStream(_Stream):
    def __init__(self, tally: Tally) -> None:
        super().__init__(tally)
        self.startup = True
        self.prepared: dict[bytes, str] = {}
        self.portals: dict[bytes, str] = {}

    def parse(self) -> None:
        buf, pos = self.buf, 0
        while True:
            if self.startup:
                if len(buf) - pos < 8:
                    break
                length = int.from_bytes(buf[pos : pos + 4], "big")
                if len(buf) - pos < length:
                    break
                code = int.from_bytes(buf[pos + 4 : pos + 8], "big")
                self.startup = code in (80877103, 80877104)  # SSL / GSS request: again
                pos += length
                continue
            if len(buf) - pos < 5:
                break
            kind = buf[pos]
            length = int.from_bytes(buf[pos + 1 : pos + 5], "big")
            if len(buf) - pos < 1 + length:
                break
            self.message(kind, bytes(buf[pos + 5 : pos + 1 + length]))
            pos += 1 + length
        del buf[:pos]

    def message(self, kind: int, body: bytes) -> None:
        if kind == ord("Q"):
            for statement in split_statements(body.rstrip(b"\0").decode(errors="replace")):
                self.tally.add(statement)
        elif kind == ord("P"):
            name, _, rest = body.partition(b"\0")
            self.tally.prepared()
            self.prepared[name] = rest.split(b"\0", 1)[0].decode(errors="replace")
        elif kind == ord("B"):
            portal, statement = body.split(b"\0", 2)[:2]
            self.portals[portal] = self.prepared.get(statement, "(unknown prepared statement)")
        elif kind == ord("E"):
            portal = body.split(b"\0", 1)[0]
            self.tally.add(self.portals.get(portal, "(unknown portal)"))


class MySQLStream(_Stream):
    def parse(self) -> None:
        buf, pos = self.buf, 0
        while len(buf) - pos >= 4:
            length = int.from_bytes(buf[pos : pos + 3], "little")
            if len(buf) - pos < 4 + length:
                break
            seq = buf[pos + 3]
            if seq == 0 and length:  # a command (handshake packets have seq >= 1)
                command = buf[pos + 4]
                if command == 0x03:
                    text = bytes(buf[pos + 5 : pos + 4 + min(length, 400)])
                    self.tally.add(text.decode(errors="replace"))
                else:
                    self.tally.add(_MYSQL_COMMANDS.get(command, f"COMMAND 0x{command:02x}"))
            pos += 4 + length
        del buf[:pos]


def stream_for(backend: str, tally: Tally) -> _Stream:
    return PostgresStream(tally) if backend == "postgresql" else MySQLStream(tally)
