"""Rate limits on login and booking: counted per operation field, per IP and per principal,
in Redis (shared by replicas) or in process without it; refused before any resolver."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

import httpx
import pytest
import redis.asyncio as redis
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.core.rate_limits import MemoryRateLimiter, RedisRateLimiter, build_rate_limiter
from bookwell.graphql.limits.rate_limiting import CODE as LIMITED
from tests.factories import make_listing, make_token, make_user
from tests.support.graphql_client import Answer, GraphQLClient
from tests.support.lifespan import started
from tests.support.sql_statements import sql_statements

LOGIN = """mutation($email: String!) {
  login(input: {email: $email, password: "wrong password"}) { accessToken errors { code } }
}"""
BOOK = """mutation($input: CreateReservationInput!) {
  createReservation(input: $input) { reservation { id } errors { code } }
}"""


def aliased_logins(count: int) -> str:
    fields = " ".join(
        f'l{n}: login(input: {{email: "x@example.com", password: "nope"}}) {{ accessToken }}'
        for n in range(count)
    )
    return f"mutation {{ {fields} }}"


@pytest.fixture
def limited(settings: Settings, redis_server_url: str, queue_namespace: str) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": redis_server_url,
            "queue_namespace": queue_namespace,
            "login_limit_per_ip": 3,
            "login_limit_per_principal": 3,
            "booking_limit_per_ip": 100,
            "booking_limit_per_principal": 2,
        }
    )


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[object, GraphQLClient]]:
    app = create_app(settings)
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, GraphQLClient(http)


def assert_rate_limited(answer: Answer, window: int) -> None:
    assert answer.status == 429, answer.body
    assert answer.body.get("data") is None
    [error] = answer.errors
    assert error["extensions"]["code"] == LIMITED
    retry_after = error["extensions"]["retryAfter"]
    assert 1 <= retry_after <= window
    assert answer.headers["Retry-After"] == str(retry_after)
    assert "try again in" in error["message"]


async def test_repeated_logins_are_refused_before_any_resolver(limited):
    async with serving(limited) as (app, client):
        for _ in range(3):
            answer = await client(LOGIN, {"email": "someone@example.com"})
            assert answer.status == 200, answer.body
            assert answer.data["login"]["accessToken"] is None
        with sql_statements(app) as statements:
            answer = await client(LOGIN, {"email": "someone@example.com"})
        assert statements == []
        assert_rate_limited(answer, limited.rate_limit_window_seconds)


async def test_aliased_logins_count_one_each(limited):
    async with serving(limited) as (app, client):
        with sql_statements(app) as statements:
            answer = await client(aliased_logins(4))
        assert statements == []
        assert_rate_limited(answer, limited.rate_limit_window_seconds)
        assert "asks for 4" in answer.errors[0]["message"]
        # A refused operation takes nothing: three logins still fit the window.
        answer = await client(aliased_logins(3))
        assert answer.status == 200 and answer.errors == [], answer.body
        assert_rate_limited(await client(aliased_logins(1)), limited.rate_limit_window_seconds)


async def test_logins_through_fragments_count(limited):
    query = """mutation { ...Two ...Two2 }
      fragment Two on Mutation { a: login(input: {email: "a@b.c", password: "x"}) { accessToken }
                                 b: login(input: {email: "a@b.c", password: "x"}) { accessToken } }
      fragment Two2 on Mutation { c: login(input: {email: "a@b.c", password: "x"}) { accessToken }
                                  d: register(input: {email: "a@b.c", password: "x", name: "A"}) {
                                    accessToken } }"""
    async with serving(limited) as (app, client):
        with sql_statements(app) as statements:
            answer = await client(query)
        assert statements == []
        assert_rate_limited(answer, limited.rate_limit_window_seconds)


async def test_replicas_share_the_counts_in_redis(limited, redis_server_url, queue_namespace):
    async with serving(limited) as (_, one), serving(limited) as (_, other):
        for client in (one, other, one):
            assert (await client(LOGIN, {"email": "a@example.com"})).status == 200
        assert_rate_limited(
            await other(LOGIN, {"email": "a@example.com"}), limited.rate_limit_window_seconds
        )
    store = redis.Redis.from_url(redis_server_url)
    try:
        keys = [key.decode() async for key in store.scan_iter(f"{queue_namespace}:*")]
    finally:
        await store.aclose()
    assert keys and all(key.startswith(f"{queue_namespace}:rate:login:") for key in keys)


async def test_bookings_are_limited_per_principal(limited, db, host):
    listing_id = await make_listing(db, host, units=10)
    guest_token = await make_token(db, await make_user(db))
    other_token = await make_token(db, await make_user(db))
    start = date.today() + timedelta(days=30)

    def booking(day: int) -> dict:
        when = (start + timedelta(days=day * 3)).isoformat()
        return {"input": {"listingId": str(listing_id), "startDate": when, "nights": 1}}

    async with serving(limited) as (_, client):
        for day in range(2):
            answer = await client(BOOK, booking(day), token=guest_token)
            assert answer.data["createReservation"]["reservation"], answer.body
        answer = await client(BOOK, booking(2), token=guest_token)
        assert_rate_limited(answer, limited.rate_limit_window_seconds)
        # Another guest from the same address still books.
        answer = await client(BOOK, booking(2), token=other_token)
        assert answer.data["createReservation"]["reservation"], answer.body
    async with db.read() as session:
        count = await session.scalar(text("SELECT count(*) FROM reservations"))
    assert count == 3


async def test_without_redis_the_limits_hold_in_process(limited):
    local = limited.model_copy(update={"redis_url": None})
    async with serving(local) as (_, client):
        for _ in range(3):
            assert (await client(LOGIN, {"email": "a@example.com"})).status == 200
        assert_rate_limited(
            await client(LOGIN, {"email": "a@example.com"}), limited.rate_limit_window_seconds
        )


async def test_switched_off(limited):
    async with serving(limited.model_copy(update={"rate_limits": False})) as (_, client):
        answer = await client(aliased_logins(5))
        assert answer.status == 200 and answer.errors == [], answer.body


def test_redis_when_configured_else_in_process(limited):
    assert isinstance(build_rate_limiter(limited.redis_url, "ns"), RedisRateLimiter)
    assert isinstance(build_rate_limiter(None, "ns"), MemoryRateLimiter)


async def test_an_unreachable_redis_limits_nothing(limited):
    # Serving unlimited beats refusing every login and booking while Redis is away.
    down = limited.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with serving(down) as (_, client):
        answer = await client(aliased_logins(5))
        assert answer.status == 200 and answer.errors == [], answer.body
