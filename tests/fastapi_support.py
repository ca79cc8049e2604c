"""What the FastAPI tests of both modes share (hand-written, not generated): an app's
lifespan is async whatever the mode of its endpoints."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio.to_thread


def few_threads(
    tokens: int, started: list[bool]
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """An app lifespan that leaves the event loop ``tokens`` worker threads for ``def``
    endpoints and dependencies, and records that it ran."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = tokens
        started.append(True)
        yield

    return lifespan


def record_response_starts(app: Any, events: list[str]) -> None:
    """Append ``"response"`` to ``events`` when ``app`` starts sending a response (an ASGI
    wrapper around its whole middleware stack)."""
    build = app.build_middleware_stack

    def build_with_probe() -> Any:
        asgi = build()

        async def probe(scope: Any, receive: Any, send: Any) -> None:
            async def watched(message: Any) -> None:
                if message["type"] == "http.response.start":
                    events.append("response")
                await send(message)

            await asgi(scope, receive, watched)

        return probe

    app.build_middleware_stack = build_with_probe
