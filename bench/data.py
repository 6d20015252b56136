"""Bench data: hosts, guests, listings in 100 cities and reservations, bulk loaded with COPY.

Reservations never over-allocate by construction: each listing has `units` lanes, and every
lane holds consecutive, non-overlapping one-unit stays between tomorrow and ~2 years ahead.
The inventory trigger is off during the COPY (in the same transaction), and listing_nights is
then built in one INSERT ... SELECT, as the trigger would have built it.
"""

import hashlib
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import uuid_utils

PREFIXES = ["North", "South", "East", "West", "Port", "Lake", "New", "Old", "Fort", "Mount"]
SUFFIXES = ["haven", "field", "ford", "bridge", "wood", "ton", "bury", "mouth", "dale", "view"]
REGIONS = [  # (country, timezone, currency)
    ("FR", "Europe/Paris", "EUR"),
    ("DE", "Europe/Berlin", "EUR"),
    ("GB", "Europe/London", "GBP"),
    ("US", "America/New_York", "USD"),
    ("US", "America/Los_Angeles", "USD"),
    ("BR", "America/Sao_Paulo", "BRL"),
    ("JP", "Asia/Tokyo", "JPY"),
    ("IN", "Asia/Kolkata", "INR"),
    ("AU", "Australia/Sydney", "AUD"),
    ("ZA", "Africa/Johannesburg", "ZAR"),
]
KINDS = ["STAY", "STAY", "STAY", "RESTAURANT", "SPACE", "EQUIPMENT"]
UNITS = [1, 1, 1, 2, 2, 3, 4, 6]
BOOKED_DAYS = 730  # reservations fill [tomorrow, tomorrow + BOOKED_DAYS)
ADMIN_EMAIL = "bench-admin@bench.invalid"
CONTENDER_EMAIL = "bench-contender-%s@bench.invalid"
TABLES = "idempotency_keys, reservations, listing_nights, api_tokens, listings, users"


@dataclass(frozen=True)
class City:
    name: str
    country: str
    timezone: str
    currency: str


def cities(count: int = 100) -> list[City]:
    names = [p + s for p in PREFIXES for s in SUFFIXES]
    if count > len(names):
        names += [f"City {n}" for n in range(len(names), count)]
    return [City(names[n], *REGIONS[n % len(REGIONS)]) for n in range(count)]


def new_id() -> uuid_utils.UUID:
    """UUIDv7 (time-ordered); asyncpg encodes anything with `.bytes` as a uuid."""
    return uuid_utils.uuid7()


@dataclass
class Listing:
    id: uuid_utils.UUID
    units: int
    price: Decimal
    currency: str


def _user_rows(prefix: str, count: int, role: str) -> list[tuple]:
    return [
        (new_id(), f"{prefix}{n}@bench.invalid", f"{prefix.title()} {n}", role)
        for n in range(count)
    ]


def _listing_rows(count: int, city_list: list[City], hosts: list[tuple], rng: random.Random):
    rows, listings = [], []
    for n in range(count):
        city, kind, units = city_list[n % len(city_list)], rng.choice(KINDS), rng.choice(UNITS)
        price = Decimal(rng.randrange(4000, 40000)) / 100
        listing = Listing(new_id(), units, price, city.currency)
        listings.append(listing)
        rows.append(
            (
                listing.id,
                hosts[n % len(hosts)][0],
                kind,
                f"{kind.title()} #{n} in {city.name}",
                f"A bench {kind.lower()} with {units} unit(s).",
                city.name,
                city.country,
                city.timezone,
                price,
                city.currency,
                units,
                rng.randint(1, 8),
            )
        )
    return rows, listings


def _lane(stays: int, rng: random.Random) -> Iterator[tuple[int, int]]:
    """`stays` non-overlapping (first day, nights) in [0, BOOKED_DAYS), spread by random gaps."""
    longest = max(1, min(7, BOOKED_DAYS // max(stays, 1)))
    lengths = [rng.randint(1, longest) for _ in range(stays)]
    slack = BOOKED_DAYS - sum(lengths)
    weights = [rng.random() for _ in range(stays + 1)]
    scale = slack / sum(weights)
    day = 0
    for length, weight in zip(lengths, weights, strict=False):
        day += int(weight * scale)
        yield day, length
        day += length


def _reservation_rows(
    listings: list[Listing], guests: list[tuple], total: int, rng: random.Random
) -> Iterator[tuple]:
    first_day = date.today() + timedelta(days=1)
    days = [first_day + timedelta(days=d) for d in range(BOOKED_DAYS + 1)]
    per_listing, extra = divmod(total, len(listings))
    for n, listing in enumerate(listings):
        count = per_listing + (n < extra)
        for lane in range(listing.units):
            stays = count // listing.units + (lane < count % listing.units)
            for day, nights in _lane(stays, rng):
                guest_id, _, guest_name, _ = guests[rng.randrange(len(guests))]
                status = "CANCELLED" if rng.random() < 0.05 else "CONFIRMED"
                yield (
                    new_id(),
                    listing.id,
                    guest_id,
                    guest_name,
                    days[day],
                    days[day + nights],
                    1,
                    status,
                    listing.price * nights,
                    listing.currency,
                )


USER_COLUMNS = ["id", "email", "name", "role"]
LISTING_COLUMNS = [
    "id", "owner_id", "kind", "title", "description", "city", "country", "timezone",
    "nightly_price", "currency", "units", "max_guests",
]  # fmt: skip
RESERVATION_COLUMNS = [
    "id", "listing_id", "guest_id", "guest_name", "start_date", "end_date", "quantity",
    "status", "total_amount", "currency",
]  # fmt: skip

BUILD_NIGHTS = """
INSERT INTO listing_nights (listing_id, night, units, booked)
SELECT r.listing_id, g::date, l.units, sum(r.quantity)
  FROM reservations r
  JOIN listings l ON l.id = r.listing_id
 CROSS JOIN LATERAL generate_series(r.start_date, r.end_date - 1, interval '1 day') g
 WHERE r.status IN ('PENDING', 'CONFIRMED', 'ACTIVE')
 GROUP BY r.listing_id, g::date, l.units
"""


async def load(
    conn: asyncpg.Connection, *, listings: int, reservations: int, seed: int = 1
) -> dict[str, float]:
    """Replace everything in the bench database. Returns seconds per step."""
    if reservations > listings * BOOKED_DAYS:
        raise ValueError(f"at most {BOOKED_DAYS} reservations per listing fit in the window")
    rng = random.Random(seed)
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        steps[name] = now - started
        started = now

    async with conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = off")
        # CASCADE: everything that references these (payments, outbox, waitlists, ...) goes too.
        await conn.execute(f"TRUNCATE {TABLES} CASCADE")
        hosts = _user_rows("host", max(1, listings // 10), "HOST")
        guests = _user_rows("guest", 10_000, "GUEST")
        await conn.copy_records_to_table("users", records=hosts + guests, columns=USER_COLUMNS)
        listing_rows, listing_list = _listing_rows(listings, cities(), hosts, rng)
        await conn.copy_records_to_table("listings", records=listing_rows, columns=LISTING_COLUMNS)
        step("users and listings")
        await conn.execute("ALTER TABLE reservations DISABLE TRIGGER reservations_inventory")
        await conn.copy_records_to_table(
            "reservations",
            records=_reservation_rows(listing_list, guests, reservations, rng),
            columns=RESERVATION_COLUMNS,
        )
        await conn.execute("ALTER TABLE reservations ENABLE TRIGGER reservations_inventory")
        step("reservations (COPY)")
        await conn.execute(BUILD_NIGHTS)
        step("listing_nights")
    over = await conn.fetchval("SELECT count(*) FROM listing_nights WHERE booked > units")
    if over:
        raise RuntimeError(f"{over} listing_nights rows are over capacity")
    await conn.execute("ANALYZE")
    step("check and ANALYZE")
    return steps


async def bench_token(conn: asyncpg.Connection) -> str:
    """A fresh API token for the bench ADMIN (so nested reads see reservations), and no
    leftovers from an earlier run: the admin's and the contenders' bookings are deleted (the
    trigger frees them), so that --reuse finds the loaded count."""
    await delete_contender_bookings(conn)
    return await _fresh_token(conn, ADMIN_EMAIL, "Bench Admin", "ADMIN")


async def delete_contender_bookings(conn: asyncpg.Connection) -> None:
    """Also at the end of a run: a bench older than the contender accounts, sharing the
    database, would otherwise find more reservations than it loaded and load anew."""
    await conn.execute(
        "DELETE FROM reservations WHERE guest_id IN (SELECT id FROM users WHERE email LIKE $1)",
        CONTENDER_EMAIL % "%",
    )


async def contender_tokens(conn: asyncpg.Connection, count: int) -> list[str]:
    """Fresh API tokens of `count` guests who race for one listing in the contended rounds:
    people, not one account, since a guest may hold only maxGuestHolds (2) unpaid stays of a
    listing. Their earlier bookings are deleted too."""
    return [
        await _fresh_token(conn, CONTENDER_EMAIL % n, f"Contender {n}", "GUEST")
        for n in range(count)
    ]


async def _fresh_token(conn: asyncpg.Connection, email: str, name: str, role: str) -> str:
    user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
    if user_id is None:
        user_id = uuid.UUID(bytes=new_id().bytes)
        await conn.execute(
            "INSERT INTO users (id, email, name, role) VALUES ($1, $2, $3, $4)",
            user_id,
            email,
            name,
            role,
        )
    await conn.execute("DELETE FROM reservations WHERE guest_id = $1", user_id)
    # Another run on the same database may be using a recent token: only old ones go.
    await conn.execute(
        "DELETE FROM api_tokens WHERE user_id = $1 AND created_at < now() - interval '1 day'",
        user_id,
    )
    token = uuid.uuid4()
    await conn.execute(
        "INSERT INTO api_tokens (id, user_id, name, token_hash) VALUES ($1, $2, 'bench', $3)",
        uuid.UUID(bytes=new_id().bytes),
        user_id,
        hashlib.sha256(token.bytes).digest(),
    )
    return str(token)
