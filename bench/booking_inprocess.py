"""createReservation in one process, no HTTP: bookings per second uncontended, and rounds of
contenders for one listing's last units (issue 18, "one round trip per booking").

    uv run python -m bench.booking_inprocess                # the one-statement path
    uv run python -m bench.booking_inprocess --old-path     # today's transaction, no caches

It makes its own database, `bookwell_booking_bench` on BOOKING_BENCH_SERVER (default
postgresql://postgres@127.0.0.1:5432/; `{database}` in it stands for the name), dropped
and loaded afresh each run: 50 guests with API tokens, 200 stays of 50 units. The app is
called as an ASGI application (bench/inprocess.py's `call`), `--concurrency` bookings at a
time, each of other dates or another listing; then `--rounds` rounds of `--contenders`
simultaneous bookings of the same nights of a listing of `--free` units, every one from
another guest: exactly `--free` must be booked each round.
`--old-path` measures the code before issue 18 part 3 as it survives in this one: every
booking through the ordinary transaction, the token asked of the database each request.
Figures are wall time on a machine shared with PostgreSQL: compare runs of the same minutes.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import statistics
import time
import uuid
from datetime import date, timedelta

import asyncpg
import orjson

from bench.inprocess import call
from bench.pgcpu import process_cpu_seconds
from bookwell.core import migrate
from bookwell.services.booking.full_nights import full_nights_of

DATABASE = "bookwell_booking_bench"
BOOK = (
    "mutation Book($input: CreateReservationInput!) { createReservation(input: $input) {"
    " reservation { id status totalPrice { amount } } errors { code message } } }"
)
FIRST_NIGHT = date.today() + timedelta(days=30)


def database_url(name: str) -> str:
    """BOOKING_BENCH_SERVER + the database's name, or with `{database}` in it replaced
    (a Unix socket: postgresql://postgres@/{database}?host=/var/run/postgresql)."""
    server = os.environ.get("BOOKING_BENCH_SERVER", "postgresql://postgres@127.0.0.1:5432/")
    return server.format(database=name) if "{database}" in server else server + name


async def create_database() -> str:
    admin = await asyncpg.connect(database_url("postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()
    return database_url(DATABASE)


async def load(url: str, *, guests: int, stays: int, contended: int, free: int) -> dict:
    """Users, tokens and listings through the services, as the app makes them."""
    from bookwell.core.db import connect
    from bookwell.models import Role
    from bookwell.services.accounts import accounts
    from bookwell.services.accounts.principal import Principal
    from bookwell.services.listings import listings

    db = connect(url)
    limits = (
        "UPDATE listings SET max_hold_nights = 365, max_hold_units = 10000,"
        " max_guest_holds = 100, max_listing_holds = 10000"
    )
    try:
        async with db.transaction() as session:
            host = await accounts.create_user(
                session=session, email="host@bench.dev", name="Host", role=Role.HOST
            )
            tokens = []
            for n in range(guests):
                guest = await accounts.create_user(
                    session=session, email=f"g{n}@bench.dev", name=f"Guest {n}", role=Role.GUEST
                )
                made = await accounts.create_api_token(
                    session=session, user_id=guest.id, name="bench"
                )
                tokens.append(made.token)
            owner = Principal(host.id, Role.HOST)

            async def stay(units: int) -> uuid.UUID:
                data = listings.NewListing(title="Bench stay", nightly_price="100.00", units=units)
                row = await listings.create_listing(session=session, owner=owner, data=data)
                return row.id

            open_stays = [await stay(50) for _ in range(stays)]
            hot = [await stay(free) for _ in range(contended)]
            from sqlalchemy import text

            await session.execute(text(limits))
    finally:
        await db.dispose()
    # Statistics, as bench.run's checks take them: a fresh table's would plan book_stay's
    # count of a listing's holds over every pending hold (~1 ms each) instead of its own.
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {"tokens": tokens, "stays": open_stays, "hot": hot, "url": url}


class BackendClock:
    """CPU of the PostgreSQL backends serving the bench's database (same machine), between
    `start` and `stop`: backends that exit meanwhile are not counted (pool overflow)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._before: dict[int, float] = {}

    async def _backends(self) -> dict[int, float]:
        conn = await asyncpg.connect(self.url)
        try:
            pids = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                DATABASE,
            )
        finally:
            await conn.close()
        found = {row["pid"]: process_cpu_seconds(row["pid"]) for row in pids}
        return {pid: cpu for pid, cpu in found.items() if cpu is not None}

    async def start(self) -> None:
        self._before = await self._backends()

    async def stop(self) -> float:
        after = await self._backends()
        return sum(cpu - self._before.get(pid, 0.0) for pid, cpu in after.items())


def body(listing_id: uuid.UUID, start: date, nights: int = 2) -> bytes:
    variables = {
        "input": {"listingId": str(listing_id), "startDate": start.isoformat(), "nights": nights}
    }
    return orjson.dumps({"query": BOOK, "variables": variables})


def headers(token: str) -> dict[str, str]:
    return {"content-type": "application/json", "authorization": f"Bearer {token}"}


def outcome(status: int, answer: bytes) -> str:
    if status != 200:
        return f"HTTP {status}"
    payload = orjson.loads(answer)["data"]["createReservation"]
    return "OK" if payload["reservation"] else payload["errors"][0]["code"]


async def uncontended(
    app, state, loaded: dict, count: int, concurrency: int, profile: cProfile.Profile | None = None
) -> None:
    tokens, stays = loaded["tokens"], loaded["stays"]
    rng = random.Random(18)
    requests = [
        (body(rng.choice(stays), FIRST_NIGHT + timedelta(days=rng.randrange(300))), n)
        for n in range(count)
    ]
    queue = list(reversed(requests))
    seen: dict[str, int] = {}
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            payload, n = queue.pop()
            started = time.perf_counter()
            status, answer = await call(app, payload, headers(tokens[n % len(tokens)]), state)
            latencies.append(time.perf_counter() - started)
            kind = outcome(status, answer)
            seen[kind] = seen.get(kind, 0) + 1

    backends = BackendClock(loaded["url"])
    await backends.start()
    cpu, wall = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if profile:
        profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    pg_cpu = await backends.stop()
    latencies.sort()
    print(
        f"uncontended: {count} bookings, {concurrency} at a time: {count / wall:.0f}/s; "
        f"CPU of this process {cpu * 1000 / count:.2f} ms/booking, of PostgreSQL "
        f"{pg_cpu * 1000 / count:.2f}; latency p50 "
        f"{latencies[len(latencies) // 2] * 1000:.1f} ms, p99 "
        f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms; answers {seen}"
    )


async def contended(app, state, loaded: dict, contenders: int, free: int) -> None:
    tokens = loaded["tokens"]
    rounds: list[float] = []
    wrong = 0
    backends = BackendClock(loaded["url"])
    await backends.start()
    memo = full_nights_of(state["db"])
    refused_before = memo.refused
    cpu = time.process_time()
    for listing_id in loaded["hot"]:
        payload = body(listing_id, FIRST_NIGHT + timedelta(days=10))

        async def one(n: int, payload: bytes = payload) -> str:
            status, answer = await call(app, payload, headers(tokens[n % len(tokens)]), state)
            return outcome(status, answer)

        started = time.perf_counter()
        answers = await asyncio.gather(*(one(n) for n in range(contenders)))
        rounds.append(time.perf_counter() - started)
        booked = answers.count("OK")
        others = {kind for kind in answers if kind != "OK"}
        if booked != free or others - {"UNAVAILABLE"}:
            wrong += 1
            print(f"  round on {listing_id}: {booked} booked of {free}; others {others}")
    cpu = time.process_time() - cpu
    pg_cpu = await backends.stop()
    rounds.sort()
    p99 = rounds[min(len(rounds) - 1, int(len(rounds) * 0.99))]
    print(
        f"contended: {len(rounds)} rounds of {contenders} for {free} free units: round "
        f"p50 {statistics.median(rounds) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
        f"{rounds[-1] * 1000:.0f} ms; CPU of this process {cpu * 1000 / len(rounds):.0f} ms "
        f"a round, of PostgreSQL {pg_cpu * 1000 / len(rounds):.0f} ms; exactly the free "
        f"units booked in {len(rounds) - wrong}/{len(rounds)}; refused without a round trip "
        f"(services/booking/full_nights.py) {(memo.refused - refused_before) / len(rounds):.0f} "
        "a round"
    )


async def measure(args: argparse.Namespace) -> None:
    url = await create_database()
    await asyncio.to_thread(migrate.upgrade, url)
    loaded = await load(
        url, guests=args.guests, stays=200, contended=args.rounds + 2, free=args.free
    )
    os.environ.update(
        DATABASE_URL=url,
        BOOKWELL_SECRET_KEY="bench-booking-secret-key-long-enough-for-hs256",
        BOOKWELL_SEED_DEMO_DATA="false",
        BOOKWELL_RATE_LIMITS="false",
        BOOKWELL_LOG_FORMAT="json",
        BOOKWELL_LOG_LEVEL="WARNING",
    )
    if args.old_path:
        os.environ["BOOKWELL_TOKEN_CACHE_SECONDS"] = "0"
        from bookwell.services.booking import stay_statement

        async def undecided(**_: object) -> None:
            return None

        stay_statement.book_in_one_statement = undecided  # type: ignore[assignment]
    from bookwell.app import create_app

    app = create_app()
    async with app.router.lifespan_context(app) as state:
        warm = {"tokens": loaded["tokens"], "stays": loaded["stays"], "url": url}
        await uncontended(app, state, warm, 200, args.concurrency)  # warm-up, not counted
        profile = cProfile.Profile() if args.profile else None
        await uncontended(app, state, loaded, args.count, args.concurrency, profile)
        if profile:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.rows)
        hot = dict(loaded, hot=loaded["hot"][:2])
        await contended(app, state, hot, args.contenders, args.free)  # warm-up
        await contended(app, state, dict(loaded, hot=loaded["hot"][2:]), args.contenders, args.free)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.booking_inprocess", description=__doc__)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--guests", type=int, default=100)
    parser.add_argument("--contenders", type=int, default=100)
    parser.add_argument("--free", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--old-path", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the uncontended run")
    parser.add_argument("--sort", default="tottime", help="with --profile: pstats sort key")
    parser.add_argument("--rows", type=int, default=25, help="with --profile: lines shown")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
