"""Issue 16: a real `bookwell serve` on a private PostgreSQL, broken while it serves.

Each test bounds its own time (well under a minute on a loaded machine). The figures these
tests hold are the ones docs/scaling.md ("Under faults") quotes."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from bookwell.core.db import Database, connect
from bookwell.models import Role
from tests.factories import MANY_HOLDS, make_listing, make_token, make_user
from tests.faults.bookings import Tally, book, stream
from tests.faults.processes import PrivatePostgres, Server

# Client-side bounds the servers below run with (BOOKWELL_DB_*): no answer may take longer
# than these add up to, with a margin for a machine shared by several test runs.
FAST = {
    "BOOKWELL_DB_POOL_TIMEOUT_SECONDS": "2",
    "BOOKWELL_DB_CONNECT_TIMEOUT_SECONDS": "2",
    "BOOKWELL_DB_COMMAND_TIMEOUT_SECONDS": "3",
    "BOOKWELL_DB_LOCK_TIMEOUT_MS": "1000",
}
ANSWER_BOUND_SECONDS = 15.0
CLIENTS = 6


@dataclass
class Stage:
    """A served API on the private PostgreSQL, with a host's two listings and guests."""

    postgres: PrivatePostgres
    api: Server
    db: Database
    http: httpx.AsyncClient
    tokens: list[str]
    hot: object  # the listing the faults are about
    other: object

    async def connections(self) -> int:
        """The API's server connections, as PostgreSQL sees them (the test's own pool, which
        has the same application_name, closed first)."""
        await self.db.engine.dispose()
        connection = await asyncpg.connect(self.postgres.url)
        try:
            return await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bookwell'"
            )
        finally:
            await connection.close()


async def stage_for(postgres: PrivatePostgres, tmp_path: Path, **settings: str) -> Stage:
    api = Server(tmp_path, postgres.url, **settings)
    await asyncio.to_thread(api.wait_until_ready)  # migrated by serve
    db = connect(postgres.url, pool_size=2, max_overflow=2)
    host = await make_user(db, Role.HOST)
    # Ten guests per client: each may hold at most 100 unpaid nights (maxGuestHolds).
    guests = [await make_user(db, Role.GUEST) for _ in range(CLIENTS * 10)]
    tokens = [await make_token(db, guest) for guest in guests]
    hot = await make_listing(db, host, units=10_000, **MANY_HOLDS)
    other = await make_listing(db, host, units=10_000, **MANY_HOLDS)
    http = httpx.AsyncClient(base_url=api.url, timeout=60)
    return Stage(postgres, api, db, http, tokens, hot, other)


@pytest.fixture
async def staged(postgres: PrivatePostgres, tmp_path: Path) -> AsyncIterator[list[Stage]]:
    """Stages made by the test (stage_for), closed and stopped after it."""
    stages: list[Stage] = []
    yield stages
    for stage in stages:
        await stage.http.aclose()
        await stage.db.dispose()
        stage.api.kill()


async def committed(db: Database, reservation_ids: list[str]) -> int:
    from tests.support.graphql_client import database_id

    ids = [database_id(each) for each in reservation_ids]
    await db.engine.dispose()  # its connections did not survive the restart
    async with db.read() as session:
        from sqlalchemy import text

        found = await session.execute(
            text("SELECT count(*) FROM reservations WHERE id = ANY(:ids)"), {"ids": ids}
        )
        return found.scalar_one()


def night(days: int) -> date:
    return date.today() + timedelta(days=days)


async def test_postgres_restarted_under_bookings_loses_no_committed_booking(
    postgres, tmp_path, staged
):
    stage = await stage_for(postgres, tmp_path, **FAST)
    staged.append(stage)
    tally = Tally()
    began = time.monotonic()
    bookings = asyncio.create_task(
        stream(stage.http, stage.tokens, stage.hot, until=began + 16, tally=tally, clients=CLIENTS)
    )
    await asyncio.sleep(3)
    await asyncio.to_thread(postgres.stop, "fast")
    await asyncio.sleep(5)
    await asyncio.to_thread(postgres.start_again)
    restarted = time.monotonic()
    await bookings

    assert tally.of("other") + tally.of("refused") == [], tally.summary()
    assert tally.of("unavailable"), tally.summary()  # the outage was seen, and answered 503
    ok = [o.reservation_id for o in tally.of("ok") if o.reservation_id]
    assert await committed(stage.db, ok) == len(ok), "an OK answer whose booking is not there"
    assert tally.slowest < ANSWER_BOUND_SECONDS, tally.summary()
    # Recovered by itself: bookings succeed again soon after PostgreSQL is back.
    first_ok = min((o.at for o in tally.of("ok") if o.at > restarted), default=None)
    assert first_ok is not None, tally.summary()
    assert first_ok - restarted < ANSWER_BOUND_SECONDS
    print(f"restart: {tally.summary()}, first OK {first_ok - restarted:.2f} s after the start")


async def test_postgres_frozen_answers_within_the_timeouts(postgres, tmp_path, staged):
    stage = await stage_for(postgres, tmp_path, **FAST)
    staged.append(stage)
    assert (await book(stage.http, stage.tokens[0], stage.hot, night(1))).kind == "ok"
    tally = Tally()
    with postgres.frozen():
        await stream(
            stage.http,
            stage.tokens,
            stage.hot,
            until=time.monotonic() + 8,
            tally=tally,
            clients=CLIENTS,
        )
    assert tally.of("other") + tally.of("refused") == [], tally.summary()
    assert tally.of("unavailable"), tally.summary()
    assert tally.slowest < ANSWER_BOUND_SECONDS, tally.summary()
    print(f"frozen: {tally.summary()}")
    # The server continues: the pool's broken connections are replaced.
    deadline = time.monotonic() + 20
    while (outcome := await book(stage.http, stage.tokens[0], stage.hot, night(2))).kind != "ok":
        assert time.monotonic() < deadline, outcome
        await asyncio.sleep(0.5)


@asynccontextmanager
async def nights_locked(stage: Stage, listing_id: object) -> AsyncIterator[None]:
    """The listing's booked nights locked FOR UPDATE by another session, as a long
    transaction on a hot listing would."""
    connection = await asyncpg.connect(stage.postgres.url)
    try:
        async with connection.transaction():
            locked = await connection.fetch(
                "SELECT 1 FROM listing_nights WHERE listing_id = $1 FOR UPDATE", listing_id
            )
            assert locked, "book a night first: there is nothing to lock"
            yield
    finally:
        await connection.close()


READ = "query($id: ID!) { listing(id: $id) { id title } }"
HOT_BOOKINGS = 12
SERVED_BOUND_SECONDS = 6.0


async def read_listing(http: httpx.AsyncClient, listing_id: object) -> tuple[bool, float]:
    began = time.monotonic()
    response = await http.post(
        "/graphql", json={"query": READ, "variables": {"id": str(listing_id)}}
    )
    body = response.json() if response.status_code == 200 else {}
    ok = bool((body.get("data") or {}).get("listing")) and not body.get("errors")
    return ok, time.monotonic() - began


async def test_a_held_row_lock_times_out_cleanly_and_other_listings_serve(
    postgres, tmp_path, staged
):
    """Issue 16, item 7: a pool of 4 and 12 bookings of a listing whose nights are locked for
    longer than the pool timeout. Without the per-listing gate the 12 take all 4 connections
    and every other request waits out the pool timeout (503 pool_timeout); with a gate of 2,
    two wait on the lock and the rest are refused `listing_busy`, so reads and bookings of
    another listing, and /readyz, answer at once."""
    settings = FAST | {
        "BOOKWELL_DB_POOL_SIZE": "4",
        "BOOKWELL_DB_MAX_OVERFLOW": "0",
        "BOOKWELL_DB_POOL_TIMEOUT_SECONDS": "5",
        "BOOKWELL_DB_LOCK_TIMEOUT_MS": "8000",
        # The second booking in a turn may wait on the first's locks, then on the held one.
        "BOOKWELL_DB_STATEMENT_TIMEOUT_MS": "10000",
        "BOOKWELL_DB_COMMAND_TIMEOUT_SECONDS": "20",
        "BOOKWELL_LISTING_WRITE_CONNECTIONS": "2",
        "BOOKWELL_LISTING_WRITE_WAIT_SECONDS": "3",
    }
    stage = await stage_for(postgres, tmp_path, **settings)
    staged.append(stage)
    assert (await book(stage.http, stage.tokens[0], stage.hot, night(5))).kind == "ok"
    tokens = stage.tokens[:HOT_BOOKINGS]
    async with nights_locked(stage, stage.hot):
        hot = [asyncio.create_task(book(stage.http, t, stage.hot, night(5))) for t in tokens]
        await asyncio.sleep(1.0)  # every hot booking is in: at the lock or at the gate
        began = time.monotonic()
        others = await asyncio.gather(
            *(book(stage.http, t, stage.other, night(5)) for t in stage.tokens[:CLIENTS]),
            *(read_listing(stage.http, stage.other) for _ in range(CLIENTS)),
        )
        ready = await stage.http.get("/readyz")
        ready_after = time.monotonic() - began
        blocked = Tally(list(await asyncio.gather(*hot)))
    free = Tally(list(others[:CLIENTS]))
    reads = others[CLIENTS:]
    assert len(free.of("ok")) == CLIENTS, free.summary()
    assert free.slowest < SERVED_BOUND_SECONDS, free.summary()
    assert all(ok for ok, _ in reads), reads
    assert max(seconds for _, seconds in reads) < SERVED_BOUND_SECONDS, reads
    assert ready.status_code == 200, ready.text
    assert ready_after < SERVED_BOUND_SECONDS
    # Every hot booking timed out cleanly: a JSON 503, never a hang or an error.
    assert len(blocked.of("unavailable")) == HOT_BOOKINGS, blocked.summary()
    assert blocked.slowest < ANSWER_BOUND_SECONDS, blocked.summary()
    metrics = (await stage.http.get("/metrics")).text
    assert 'bookwell_service_unavailable_total{reason="listing_busy"} 10.0' in metrics, metrics
    timed_out = [
        line
        for line in metrics.splitlines()
        if line.startswith("bookwell_service_unavailable_total")
        and ('"lock_timeout"' in line or '"statement_timeout"' in line)
    ]
    assert sum(float(line.split()[-1]) for line in timed_out) == 2.0, timed_out
    assert 'reason="pool_timeout"' not in metrics
    print(
        f"held lock: hot {blocked.summary()}; other listing {free.summary()}, "
        f"reads slowest {max(s for _, s in reads):.2f} s, /readyz by {ready_after:.2f} s"
    )


async def test_pool_exhaustion_answers_503_with_retry_after(postgres, tmp_path, staged):
    settings = FAST | {
        "BOOKWELL_DB_POOL_SIZE": "2",
        "BOOKWELL_DB_MAX_OVERFLOW": "0",
        "BOOKWELL_DB_POOL_TIMEOUT_SECONDS": "1",
        # Blocked bookings keep their connections: the pool is what runs out.
        "BOOKWELL_DB_LOCK_TIMEOUT_MS": "10000",
    }
    stage = await stage_for(postgres, tmp_path, **settings)
    staged.append(stage)
    assert (await book(stage.http, stage.tokens[0], stage.hot, night(5))).kind == "ok"
    async with nights_locked(stage, stage.hot):
        waiting = [
            asyncio.create_task(book(stage.http, token, stage.hot, night(5)))
            for token in stage.tokens[:2]
        ]
        await asyncio.sleep(1)  # both hold a connection, waiting on the lock
        began = time.monotonic()
        shed = Tally(
            await asyncio.gather(
                *(book(stage.http, t, stage.other, night(9)) for t in stage.tokens[:CLIENTS])
            )
        )
        ready = await stage.http.get("/readyz")
        seconds = time.monotonic() - began
    waited = Tally(await asyncio.gather(*waiting))
    assert len(shed.of("unavailable")) == CLIENTS, shed.summary()
    assert seconds < ANSWER_BOUND_SECONDS
    assert ready.status_code == 200, ready.text  # its own connection
    assert waited.of("other") + waited.of("refused") == [], waited.summary()
    metrics = (await stage.http.get("/metrics")).text
    assert 'bookwell_service_unavailable_total{reason="pool_timeout"}' in metrics
    print(f"pool exhaustion: {shed.summary()}; the two blocked: {waited.summary()}")


async def test_sigterm_with_requests_waiting_on_a_lock(postgres, tmp_path, staged):
    settings = FAST | {
        "BOOKWELL_GRACEFUL_SHUTDOWN_SECONDS": "2",
        # Still waiting when the grace ends: what the server does with them is the point.
        "BOOKWELL_DB_LOCK_TIMEOUT_MS": "60000",
        "BOOKWELL_DB_STATEMENT_TIMEOUT_MS": "60000",
        "BOOKWELL_DB_COMMAND_TIMEOUT_SECONDS": "90",
    }
    stage = await stage_for(postgres, tmp_path, **settings)
    staged.append(stage)
    assert (await book(stage.http, stage.tokens[0], stage.hot, night(5))).kind == "ok"
    async with nights_locked(stage, stage.hot):
        waiting = [
            asyncio.create_task(book(stage.http, token, stage.hot, night(5)))
            for token in stage.tokens[:CLIENTS]
        ]
        await asyncio.sleep(1.5)
        assert await stage.connections() >= len(waiting)
        began = time.monotonic()
        stage.api.terminate()
        answers = Tally(await asyncio.gather(*waiting))
        code = await asyncio.to_thread(stage.api.wait, 30)
        stopped = time.monotonic() - began
        # Still holding the lock: a backend left waiting on it would still be there.
        left = await stage.connections()
    assert answers.of("other") + answers.of("refused") == [], answers.summary()
    assert len(answers.of("unavailable")) == len(waiting), answers.summary()
    assert left == 0, f"{left} server connections left behind"
    assert code == 0, stage.api.output[-3000:]
    assert stopped < ANSWER_BOUND_SECONDS
    # Answered before the pool closed, and nothing uvicorn had to answer itself.
    output = stage.api.output
    assert "Exception in ASGI application" not in output
    assert output.index("cancelled by the shutdown") < output.index("Application shutdown complete")
    print(f"SIGTERM: {answers.summary()}, stopped in {stopped:.1f} s, {left} connections left")
