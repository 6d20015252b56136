"""One workload's server-side cost, measured inside one process with no HTTP and no client:
CPU per request, and how much of it the garbage collector took.

    uv run python -m bench.inprocess nested            # the bench's nested read
    uv run python -m bench.inprocess search --count 600
    uv run python -m bench.inprocess availability --count 600  # one listing's availability
    uv run python -m bench.inprocess nested --profile  # and the functions that cost most

The app is called as an ASGI application, one request at a time, against the bench database
(bench/database.py; load it first with `python -m bench.run`). Figures are CPU time of this
process only (PostgreSQL's work is not in them), so they move less than req/s when the
machine is busy; they are for comparing two versions of the code on one machine.
"""

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import time
from collections.abc import Callable

import asyncpg
import orjson
from starlette.types import ASGIApp

from bench import data
from bench.database import bench_database, plain
from bench.scenarios import AVAILABILITY, NESTED, SEARCH
from bookwell.core import migrate


class CollectorClock:
    """Time spent in garbage collections, per generation, while installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs: dict[int, int] = {}
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        generation = info["generation"]
        self.runs[generation] = self.runs.get(generation, 0) + 1


async def call(
    app: ASGIApp, body: bytes, headers: dict[str, str], state: dict | None = None
) -> tuple[int, bytes]:
    """One POST /graphql through the ASGI app, its scope given a copy of the lifespan's
    state as a server gives it; its status and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": dict(state or {}),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects
        return {}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def workload(url: str, name: str) -> tuple[bytes, dict[str, str]]:
    conn = await asyncpg.connect(plain(url))
    try:
        if not await conn.fetchval("SELECT count(*) FROM listings"):
            raise SystemExit("The bench database is empty: run `python -m bench.run` first.")
        headers = {"content-type": "application/json"}
        if name == "nested":
            headers["authorization"] = f"Bearer {await data.bench_token(conn)}"
            return orjson.dumps({"query": NESTED, "variables": {"after": None}}), headers
        if name == "availability":
            listing_id = await conn.fetchval("SELECT id FROM listings ORDER BY id LIMIT 1")
            variables = {"listingId": str(listing_id), "start": "2027-06-01", "end": "2027-06-04"}
            return orjson.dumps({"query": AVAILABILITY, "variables": variables}), headers
        city = await conn.fetchval("SELECT city FROM listings ORDER BY id LIMIT 1")
        variables = {"start": "2027-06-01", "nights": 3, "filter": {"city": city}}
        return orjson.dumps({"query": SEARCH, "variables": variables}), headers
    finally:
        await conn.close()


async def measure(url: str, args: argparse.Namespace) -> None:
    body, headers = await workload(url, args.workload)
    os.environ.update(
        DATABASE_URL=url,
        BOOKWELL_SECRET_KEY="bench",
        BOOKWELL_SEED_DEMO_DATA="false",
        BOOKWELL_RATE_LIMITS="false",
        BOOKWELL_LOG_FORMAT="json",
    )
    from bookwell.app import create_app

    app = create_app()
    async with app.router.lifespan_context(app) as state:
        for _ in range(args.warmup):
            status, answer = await call(app, body, headers, state)
            if status != 200 or b'"errors"' in answer:
                raise SystemExit(f"{status}: {answer[:500]!r}")
        clock = CollectorClock()
        gc.callbacks.append(clock)
        # CPU time by default: a socket's send to PostgreSQL on a busy machine otherwise tops
        # the list with time spent waiting for a core, not working.
        timer = time.process_time if args.timer == "cpu" else time.perf_counter
        profile = cProfile.Profile(timer) if args.profile else None
        run: Callable[[], None] = profile.enable if profile else (lambda: None)
        run()
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.count):
            await call(app, body, headers, state)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profile:
            profile.disable()
        gc.callbacks.remove(clock)
    per = 1000 / args.count
    print(
        f"{args.workload}: {args.count} requests of {len(answer)} bytes; "
        f"CPU {cpu * per:.2f} ms/request (wall {wall * per:.2f}), of which garbage "
        f"collection {clock.seconds * per:.2f} ms; collections by generation {clock.runs}"
    )
    if profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("workload", choices=["nested", "search", "availability"])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile, by own time")
    parser.add_argument("--sort", default="tottime", help="with --profile: pstats sort key")
    parser.add_argument("--rows", type=int, default=25, help="with --profile: lines shown")
    parser.add_argument(
        "--timer", choices=["cpu", "wall"], default="cpu", help="with --profile: which clock"
    )
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="leave the schema as it is (to measure older code, PYTHONPATH=<its src>)",
    )
    args = parser.parse_args()
    with bench_database() as url:
        if not args.no_migrate:
            migrate.upgrade(url)
        asyncio.run(measure(url, args))


if __name__ == "__main__":
    main()
