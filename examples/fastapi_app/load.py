"""Load for the example app: concurrent clients for a while, then requests/s and latencies.

    python examples/fastapi_app/load.py http://127.0.0.1:8000 --clients 50 --seconds 20

Each client loops over a mix of 80 % author reads (an author with its books), 10 % pages of
authors and 10 % new authors, with a seeded random choice; ``--seed-authors N`` first creates
N authors with 3 books each through the API. ``--in-process`` runs the app itself through
httpx's ASGI transport (no server: for a quick check, not for figures). It prints one line
of JSON: requests, errors (and how they failed: status or exception), requests/s, p50 and
p99 in milliseconds. Exit status 1 when a request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from typing import Any

import httpx

READ, PAGE, WRITE = "read", "page", "write"


async def seed(client: httpx.AsyncClient, authors: int) -> list[int]:
    ids: list[int] = []
    for i in range(authors):
        answer = await client.post(
            "/authors", json={"name": f"seed {i}", "email": f"seed-{uuid.uuid4().hex}@x.org"}
        )
        answer.raise_for_status()
        author_id = answer.json()["id"]
        ids.append(author_id)
        for b in range(3):
            book = await client.post(f"/authors/{author_id}/books", json={"title": f"b{b}"})
            book.raise_for_status()
    return ids


async def run_client(
    client: httpx.AsyncClient, ids: list[int], until: float, number: int, out: dict[str, Any]
) -> None:
    choose = random.Random(number)
    while time.perf_counter() < until:
        kind = choose.choices((READ, PAGE, WRITE), weights=(8, 1, 1))[0]
        start = time.perf_counter()
        try:
            if kind == READ:
                answer = await client.get(f"/authors/{choose.choice(ids)}")
            elif kind == PAGE:
                answer = await client.get("/authors", params={"page": choose.randint(1, 5)})
            else:
                email = f"load-{uuid.uuid4().hex}@x.org"
                answer = await client.post("/authors", json={"name": "load", "email": email})
            failure = str(answer.status_code) if answer.status_code >= 400 else None
        except httpx.HTTPError as exc:
            failure = type(exc).__name__
        out["latencies"].append(time.perf_counter() - start)
        if failure is not None:
            out["errors"] += 1
            out["failures"][failure] = out["failures"].get(failure, 0) + 1


async def measure(
    client: httpx.AsyncClient, clients: int, seconds: float, authors: int
) -> dict[str, Any]:
    ids = await seed(client, authors)
    if not ids:
        ids = [a["id"] for a in (await client.get("/authors")).json()["items"]]
    out: dict[str, Any] = {"latencies": [], "errors": 0, "failures": {}}
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(run_client(client, ids, until, n, out) for n in range(clients)))
    elapsed = time.perf_counter() - started
    latencies = sorted(out["latencies"])
    count = len(latencies)
    return {
        "requests": count,
        "errors": out["errors"],
        "failures": out["failures"],
        "requests_per_s": round(count / elapsed, 1),
        "p50_ms": round(latencies[count // 2] * 1000, 1) if count else None,
        "p99_ms": round(latencies[min(count - 1, int(count * 0.99))] * 1000, 1) if count else None,
    }


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed-authors", type=int, default=20)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args(argv)
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    if args.in_process:
        sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
        from examples.fastapi_app.app import create_app

        app = create_app()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
                result = await measure(client, args.clients, args.seconds, args.seed_authors)
    else:
        async with httpx.AsyncClient(base_url=args.base_url, limits=limits, timeout=30) as client:
            result = await measure(client, args.clients, args.seconds, args.seed_authors)
    print(json.dumps(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
