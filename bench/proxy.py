"""A small TCP proxy on loopback: 1 ms round trips (RTT mode) and wire counting.

* RTT mode (``python proxy.py --target 127.0.0.1:5432 --delay-ms 0.5``, started and
  stopped by ``run.py``): every chunk is forwarded ``delay`` after it arrived, in each
  direction, so a round trip costs about 2 × delay more. Chunks keep their order and do not
  wait for each other (a pipeline stays a pipeline). The event loop uses ``select()``,
  whose timeout has microsecond resolution (``epoll``'s is a millisecond: a 0.5 ms sleep
  would last 1 ms). It prints ``PORT <n>`` once listening.
* Counting mode (``CountingProxy``, in a thread of a cell process, no delay): the client's
  bytes also go to a ``wire`` parser that counts statements and round trips.

Bounded: it listens on 127.0.0.1 only, serves at most ``MAX_CONNECTIONS`` clients, and
buffers at most what the peers send before the other side reads (asyncio's flow control).
"""

from __future__ import annotations

import argparse
import asyncio
import selectors
import sys
import threading
from collections.abc import Callable
from typing import Any

import wire

MAX_CONNECTIONS = 256


class Proxy:
    def __init__(self, target: tuple[str, int], delay: float = 0.0,
                 stream_factory: Callable[[], Any] | None = None) -> None:  # fmt: skip
        self.target, self.delay, self.stream_factory = target, delay, stream_factory
        self.active = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        if self.active >= MAX_CONNECTIONS:
            cwriter.close()
            return
        self.active += 1
        try:
            sreader, swriter = await asyncio.open_connection(*self.target)
        except OSError:
            self.active -= 1
            cwriter.close()
            return
        stream = self.stream_factory() if self.stream_factory else None
        up = self._pump(creader, swriter, stream.from_client if stream else None)
        down = self._pump(sreader, cwriter, (lambda _d: stream.from_server()) if stream else None)
        try:
            await asyncio.gather(up, down)
        except asyncio.CancelledError:
            pass  # the proxy is shutting down
        finally:
            self.active -= 1
            for w in (cwriter, swriter):
                w.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    seen: Callable[[bytes], None] | None) -> None:  # fmt: skip
        loop = asyncio.get_running_loop()
        if not self.delay:
            try:
                while data := await reader.read(65536):
                    if seen:
                        seen(data)
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()
            return
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(maxsize=1024)

        async def send() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(send())
        try:
            while data := await reader.read(65536):
                await queue.put((loop.time() + self.delay, data))
        except (ConnectionError, OSError):
            pass
        await queue.put((0.0, b""))
        try:
            await sender
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


def new_loop() -> asyncio.AbstractEventLoop:
    return asyncio.SelectorEventLoop(selectors.SelectSelector())


class CountingProxy:
    """A no-delay proxy with a ``wire.Tally``, running in a background thread."""

    def __init__(self, backend: str, target: tuple[str, int]) -> None:
        self.tally = wire.Tally()
        self.proxy = Proxy(target, 0.0, lambda: wire.stream_for(backend, self.tally))
        self.loop = new_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.port = self.loop.run_until_complete(self.proxy.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True, name="counting-proxy")
        self.thread.start()
        ready.wait(10)

    async def _shutdown(self) -> None:
        self.proxy.server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


async def _main(target: tuple[str, int], delay: float) -> None:
    port = await Proxy(target, delay).start()
    print(f"PORT {port}", flush=True)
    await asyncio.Event().wait()  # until the runner terminates the process


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the server")
    parser.add_argument("--delay-ms", type=float, default=0.5, help="per direction")
    a = parser.parse_args()
    host, port = a.target.rsplit(":", 1)
    loop = new_loop()
    try:
        loop.run_until_complete(_main((host, int(port)), a.delay_ms / 1000))
    except KeyboardInterrupt:
        pass
    sys.exit(0)
