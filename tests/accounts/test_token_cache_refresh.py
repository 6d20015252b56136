"""The bearer-token cache re-checks an entry in the background near the end of its life
(services/accounts/tokens.py PrincipalCache, http/authentication.py): a token in steady use
never waits for the database, and a revocation is still honoured within the cache's time."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from bookwell.core.db import Database
from bookwell.http.authentication import BearerTokens
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.tokens import (
    AccessTokens,
    PrincipalCache,
    forget_all_principals,
    parse_api_token,
)
from tests.factories import make_token
from tests.support.keys import TEST_SECRET_KEY

SECONDS = 10.0
# Past every entry's refresh point (within the first half of the last REFRESH_SHARE, 0.2,
# of its life), before its end.
INTO_THE_REFRESH = SECONDS * 0.95


class Clock:
    """The cache's clock, moved by the test: no sleeping, nothing timed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every lookup of a token in the database, by token."""
    seen: list[str] = []
    authenticate = accounts.authenticate

    async def counted(*, driver, token, access_tokens):
        seen.append(token)
        return await authenticate(driver=driver, token=token, access_tokens=access_tokens)

    monkeypatch.setattr(accounts, "authenticate", counted)
    return seen


def bearer(clock: Clock) -> BearerTokens:
    tokens = AccessTokens(TEST_SECRET_KEY, "bookwell", "bookwell", timedelta(minutes=5))
    backend = BearerTokens(tokens, cache_seconds=SECONDS)
    backend.cache = PrincipalCache(SECONDS, clock=clock)
    return backend


async def settled(backend: BearerTokens) -> None:
    await asyncio.gather(*backend._refreshes)


async def test_a_token_in_steady_use_is_re_checked_without_making_a_request_wait(
    db: Database, guest: Principal, lookups: list[str], clock: Clock
) -> None:
    backend, token = bearer(clock), await make_token(db, guest)
    header = f"Bearer {token}"
    first = await backend.principal(db, header)
    assert first is not None and first.user_id == guest.user_id
    clock.sleep(INTO_THE_REFRESH)
    assert await backend.principal(db, header) == first  # answered from the cache
    assert await backend.principal(db, header) == first  # one re-check, not one a request
    await settled(backend)
    assert lookups == [token, token]
    clock.sleep(SECONDS - INTO_THE_REFRESH + 0.1)  # past the first entry's end
    assert await backend.principal(db, header) == first
    assert lookups == [token, token]  # the re-check kept it: nobody waited


async def test_a_token_revoked_elsewhere_is_dropped_by_the_re_check(
    db: Database, guest: Principal, lookups: list[str], clock: Clock
) -> None:
    backend, token = bearer(clock), await make_token(db, guest)
    header = f"Bearer {token}"
    assert await backend.principal(db, header) is not None
    async with db.transaction() as session:  # the CLI or another replica revokes it
        await session.execute(text("UPDATE api_tokens SET revoked_at = now()"))
    clock.sleep(INTO_THE_REFRESH)
    assert await backend.principal(db, header) is not None  # within the cache's time
    await settled(backend)
    assert await backend.principal(db, header) is None
    assert await backend.principal(db, header) is None
    assert len(lookups) == 4  # a revoked token is asked about every time


async def test_a_re_check_begun_before_a_revocation_here_keeps_nothing(
    db: Database, guest: Principal, clock: Clock
) -> None:
    backend, token = bearer(clock), await make_token(db, guest)
    header = f"Bearer {token}"
    assert await backend.principal(db, header) is not None
    clock.sleep(INTO_THE_REFRESH)
    assert await backend.principal(db, header) is not None  # the re-check starts...
    forget_all_principals()  # ...and a revocation through this process lands before it ends
    await settled(backend)
    assert backend.cache.get(("api", parse_api_token(token))) is None


async def test_a_re_check_that_fails_leaves_the_entry_to_run_out(
    db: Database, guest: Principal, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend, token = bearer(clock), await make_token(db, guest)
    header = f"Bearer {token}"
    assert await backend.principal(db, header) is not None

    async def away(**_):
        raise ConnectionRefusedError("the database is away")

    monkeypatch.setattr(accounts, "authenticate", away)
    clock.sleep(INTO_THE_REFRESH)
    assert await backend.principal(db, header) is not None
    await settled(backend)
    assert await backend.principal(db, header) is not None  # still within its time
    clock.sleep(SECONDS - INTO_THE_REFRESH + 0.1)
    with pytest.raises(ConnectionRefusedError):  # ran out: asked again, in the request
        await backend.principal(db, header)


def test_entries_kept_together_are_due_for_their_refresh_at_different_moments(clock: Clock):
    """A hundred guests signed in in one moment are re-checked over a stretch of time, not
    in one burst of lookups; each before its entry runs out, and none early in its life."""
    cache: PrincipalCache[str] = PrincipalCache(SECONDS, clock=clock)
    for n in range(100):
        cache.keep(n, f"guest {n}")
    due_at: dict[int, float] = {}
    clock.sleep(SECONDS * (1 - PrincipalCache.REFRESH_SHARE) - 0.01)
    assert not any(cache.due(n) for n in range(100))
    while clock.now < 1000.0 + SECONDS and len(due_at) < 100:
        clock.sleep(SECONDS / 1000)
        due_at |= {n: clock.now for n in range(100) if n not in due_at and cache.due(n)}

    assert len(due_at) == 100
    assert max(due_at.values()) < 1000.0 + SECONDS
    assert len({round(moment, 3) for moment in due_at.values()}) > 20


async def test_re_checks_due_together_take_turns_for_the_database(
    db: Database, guest: Principal, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty tokens due at once are each re-checked, never more than REFRESHES_AT_ONCE at
    a time: background work must not take the pool's connections from requests."""
    backend = bearer(clock)
    headers = [f"Bearer {await make_token(db, guest)}" for _ in range(30)]
    for header in headers:
        assert await backend.principal(db, header) is not None
    running, most, checked = 0, 0, []
    go_on = asyncio.Event()  # the lookups under way are held until the test has looked
    authenticate = accounts.authenticate

    async def held(*, driver, token, access_tokens):
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await go_on.wait()
            found = await authenticate(driver=driver, token=token, access_tokens=access_tokens)
            checked.append(token)
            return found
        finally:
            running -= 1

    monkeypatch.setattr(accounts, "authenticate", held)
    clock.sleep(INTO_THE_REFRESH)
    for header in headers:
        assert await backend.principal(db, header) is not None
    for _ in range(500):  # a bound, not a timing goal: until the first turns are taken
        if running >= BearerTokens.REFRESHES_AT_ONCE:
            break
        await asyncio.sleep(0.01)
    for _ in range(20):  # and a while longer: nobody else may start meanwhile
        await asyncio.sleep(0.01)
    assert running == BearerTokens.REFRESHES_AT_ONCE
    go_on.set()
    await settled(backend)

    assert len(checked) == 30
    assert most == BearerTokens.REFRESHES_AT_ONCE
