"""Test support (hand-written, shared by async tests, their generated sync twins and the
fault tests): a TCP proxy on 127.0.0.1 that injects network faults between a client and a
database server.

The proxy runs in threads, so sync and async clients use it alike. It only ever connects to
the one upstream it was given, which must be on 127.0.0.1 (or localhost), and stops when
closed. Its ``mode`` applies to every connection, new and open, from the moment it is set:

* ``PASS``: bytes flow both ways unchanged (``latency`` seconds added per chunk when set);
* ``STALL``: nothing is forwarded in either direction, the sockets stay open (a frozen link
  or a stopped server); new connections are accepted and stall too;
* ``BLACKHOLE``: new connections are accepted and never answered (upstream is not opened);
* ``REFUSE``: new connections are closed at once;
* ``cut_after_bytes`` / ``cut_after``: once that many client bytes went up, or a chunk
  holding that pattern (e.g. ``b"COMMIT"``) went up, the server's reply is swallowed and
  the client side closed: the client never learns the outcome.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from typing import Final

__all__ = ["BLACKHOLE", "PASS", "REFUSE", "STALL", "FaultProxy"]

PASS: Final = "pass"
STALL: Final = "stall"
BLACKHOLE: Final = "blackhole"
REFUSE: Final = "refuse"
_LOCAL = {"127.0.0.1", "localhost", "::1"}
_TICK = 0.02  # how often a stalled pump looks at the mode again


class _Link:
    """One proxied connection: the client socket, the upstream one (None when
    blackholed), and whether the reply is being swallowed after a cut."""

    def __init__(self, client: socket.socket, upstream: socket.socket | None) -> None:
        self.client = client
        self.upstream = upstream
        self.cut = threading.Event()
        self.sent_up = 0

    def shut(self) -> None:
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass


class FaultProxy:
    """A fault-injecting TCP proxy in front of ``host:port`` (see the module docstring)."""

    def __init__(self, host: str, port: int) -> None:
        if host not in _LOCAL:
            raise ValueError(f"the fault proxy only forwards to 127.0.0.1, not {host!r}")
        self._upstream = ("127.0.0.1" if host == "localhost" else host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.mode: str = PASS
        self.latency = 0.0
        self.cut_after: bytes | None = None
        self.cut_after_bytes: int | None = None
        self.cuts = 0
        self.accepted = 0  # connections that reached the proxy
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="faultproxy").start()

    # -- for tests ------------------------------------------------------------------------

    @property
    def refuse(self) -> bool:
        return self.mode == REFUSE

    @refuse.setter
    def refuse(self, value: bool) -> None:
        self.mode = REFUSE if value else PASS

    def url(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's."""
        scheme, rest = url.split("://", 1)
        userinfo, at, hostpart = rest.rpartition("@")
        tail = hostpart[hostpart.find("/"):] if "/" in hostpart else ""
        return f"{scheme}://{userinfo}{at}127.0.0.1:{self.port}{tail}"

    def drop_all(self) -> None:
        """Close every open proxied connection, both sides (the server sees its client go)."""
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            link.shut()

    def close(self) -> None:
        self._closed = True
        try:
            self._listener.close()
        except OSError:
            pass
        self.drop_all()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- threads --------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            mode = self.mode
            if mode == REFUSE:
                client.close()
                continue
            upstream = None
            if mode != BLACKHOLE:
                try:
                    upstream = socket.create_connection(self._upstream, timeout=5)
                    upstream.settimeout(None)
                except OSError:
                    client.close()
                    continue
            link = _Link(client, upstream)
            with self._lock:
                self._links.append(link)
            if upstream is None:
                continue  # accepted, never answered: held until the proxy closes
            threading.Thread(target=self._pump, args=(link, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(link, False), daemon=True).start()

    def _pump(self, link: _Link, up: bool) -> None:
        assert link.upstream is not None
        source, target = (link.client, link.upstream) if up else (link.upstream, link.client)
        try:
            while not self._closed:
                if self.mode == STALL:
                    time.sleep(_TICK)
                    continue
                readable, _, _ = select.select([source], [], [], _TICK)
                if not readable:
                    continue
                if self.mode == STALL:
                    continue
                data = source.recv(65536)
                if not data:
                    break
                if up:
                    self._note_up(link, data)
                elif link.cut.is_set():
                    break  # the server answered: the client never hears it
                if self.latency:
                    time.sleep(self.latency)
                target.sendall(data)
        except (OSError, ValueError):
            pass
        link.shut()

    def _note_up(self, link: _Link, data: bytes) -> None:
        link.sent_up += len(data)
        token = self.cut_after
        if token is not None and token in data:
            self.cut_after = None
            self.cuts += 1
            link.cut.set()
        limit = self.cut_after_bytes
        if limit is not None and link.sent_up >= limit:
            self.cut_after_bytes = None
            self.cuts += 1
            link.cut.set()
