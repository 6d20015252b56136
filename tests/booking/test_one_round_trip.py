"""One round trip per booking (issue 18): with the token and the listing's terms cached, a
stay booked by a signed-in guest (API token or JWT) sends the database one statement, in
autocommit; a stale terms cache never books a wrong price; a token revoked elsewhere is
refused once the token cache's entry runs out; idempotency holds on the one-statement path."""

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import asyncpg
import pytest
from asyncpg.prepared_stmt import PreparedStatement
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import booking as booking_flows
from bookwell.models import ListingKind
from bookwell.services.accounts.tokens import AccessTokens
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.listings import pricing
from bookwell.services.listings.terms_cache import TermsCache, terms_cache_of
from tests.factories import create_reservation_mutation, in_days, make_listing, make_token
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

BOOK = create_reservation_mutation("id status totalPrice { amount }")
ME = "{ me { id } }"


@contextlib.contextmanager
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every query any asyncpg connection sends while the block runs, as its SQL: each is a
    round trip (a prepare, an execute of a prepared statement, BEGIN, COMMIT, ...)."""
    sent: list[str] = []

    def counted(cls: type, name: str, sql_of) -> None:
        original = getattr(cls, name)

        async def wrapper(self, *args, **kwargs):
            sent.append(sql_of(self, args))
            return await original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    for name in ("execute", "fetch", "fetchrow", "fetchval", "executemany", "prepare"):
        counted(asyncpg.Connection, name, lambda _self, args: str(args[0]))
    for name in ("fetch", "fetchrow", "fetchval", "executemany"):
        counted(PreparedStatement, name, lambda self, _args: self.get_query())
    yield sent
    monkeypatch.undo()


def assert_one_statement(sent: list[str]) -> None:
    """One statement, sent with one call of the driver's (the booking goes to asyncpg
    directly: behind PgBouncer, with no statement cache, the pooled CI run, asyncpg
    prepares it unnamed inside that same call)."""
    assert len(sent) == 1, sent


def stay(listing_id, days: int = 30, nights: int = 2, **fields) -> dict:
    return {
        "listingId": str(listing_id),
        "startDate": in_days(days).isoformat(),
        "nights": nights,
        **fields,
    }


@pytest.fixture
async def jwt(settings, guest) -> str:
    return AccessTokens(
        key=settings.secret_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(minutes=5),
    ).issue(guest.user_id)


@pytest.mark.parametrize("kind", ["api token", "jwt"])
async def test_a_booking_with_warm_caches_is_one_statement(
    client, db, host, guest_token, jwt, monkeypatch, kind
):
    token = guest_token if kind == "api token" else jwt
    listing_id = await make_listing(db, host, units=5)
    warm = await client(BOOK, {"input": stay(listing_id, days=30)}, token=token)
    assert warm.data["createReservation"]["errors"] == []

    with round_trips(monkeypatch) as sent:
        made = await client(BOOK, {"input": stay(listing_id, days=40)}, token=token)
    await asyncio.sleep(0)  # nothing left running that could still send

    assert made.data["createReservation"]["errors"] == []
    assert made.data["createReservation"]["reservation"]["status"] == "PENDING"
    assert_one_statement(sent)
    assert "book_stay(" in sent[0]


async def test_a_refusal_is_one_statement_too(client, db, host, guest_token, monkeypatch):
    listing_id = await make_listing(db, host, units=1)
    await client(BOOK, {"input": stay(listing_id, days=30)}, token=guest_token)

    with round_trips(monkeypatch) as sent:
        refused = await client(BOOK, {"input": stay(listing_id, days=30)}, token=guest_token)

    assert [e["code"] for e in refused.data["createReservation"]["errors"]] == ["UNAVAILABLE"]
    assert_one_statement(sent)


async def test_the_booking_leaves_its_outbox_row(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=5)
    made = await client(BOOK, {"input": stay(listing_id)}, token=guest_token)
    assert made.data["createReservation"]["errors"] == []
    async with db.read() as session:
        events = (
            await session.execute(text("SELECT event FROM outbox WHERE reservation_id IS NOT NULL"))
        ).scalars()
        assert list(events) == ["reservation.created"]


# --- a stale terms cache ---------------------------------------------------------------


async def _book(db, guest, listing_id, days: int = 30, **fields):
    data = NewReservation(listing_id=listing_id, start_date=in_days(days), nights=2, **fields)
    return await booking_flows.book(db, guest=guest, data=data)


async def test_a_price_changed_unheard_is_repriced_never_mispriced(db, host, guest):
    listing_id = await make_listing(db, host, units=5, nightly_price="100.00")
    first = await _book(db, guest, listing_id, days=30)
    assert first.total_amount == Decimal("200.00")
    # Another process changes the price; no listener runs here, so no notification arrives.
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET nightly_price = 150 WHERE id = :id"), {"id": listing_id}
        )
    cached = terms_cache_of(db).get(listing_id)
    assert cached is not None and cached.terms.nightly_price == Decimal("100.00")

    second = await _book(db, guest, listing_id, days=40)

    assert second.total_amount == Decimal("300.00")
    assert second.price_snapshot["total"] == "300.00"


async def test_a_price_rule_added_unheard_is_repriced(db, host, guest):
    listing_id = await make_listing(db, host, units=5, nightly_price="100.00")
    await _book(db, guest, listing_id, days=30)
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO listing_price_rules (id, listing_id, name, start_date, end_date,"
                " nightly_price) VALUES (gen_random_uuid(), :id, 'Season', :start, :end, 80)"
            ),
            {"id": listing_id, "start": in_days(35), "end": in_days(50)},
        )

    second = await _book(db, guest, listing_id, days=40)

    assert second.total_amount == Decimal("160.00")


async def test_a_stale_version_is_refused_by_the_statement(db, host, guest):
    """The guarantee itself: book_stay refuses terms of another version, whatever Python
    believed, and leaves nothing behind."""
    listing_id = await make_listing(db, host, units=5)
    call = text(
        "SELECT id FROM book_stay(gen_random_uuid(), :listing, :guest, '', :start, :end, 1,"
        " 1.00, 'EUR', '{}'::jsonb, :version, NULL, NULL, NULL)"
    )
    async with db.read() as session:
        version = (
            await session.execute(
                text("SELECT terms_version FROM listings WHERE id = :id"), {"id": listing_id}
            )
        ).scalar_one()
    parameters = {
        "listing": listing_id,
        "guest": guest.user_id,
        "start": in_days(30),
        "end": in_days(32),
        "version": version - 1,
    }
    with pytest.raises(Exception, match="stale listing terms"):
        async with db.read() as session:
            await session.execute(call, parameters)
    async with db.read() as session:
        count = await session.execute(text("SELECT count(*) FROM reservations"))
        assert count.scalar_one() == 0


async def test_a_full_night_is_refused_before_the_insert_and_the_last_unit_still_booked(
    db, host, guest
):
    """Migration 0030: the look-ahead refuses (BW006) only what the capacity CHECK would."""
    listing_id = await make_listing(db, host, units=2)
    await _book(db, guest, listing_id, days=30)  # nights 30 and 31: 1 of 2 units each
    async with db.transaction() as session:  # the guest's third hold is not what is tested
        await session.execute(
            text("UPDATE listings SET max_guest_holds = 10 WHERE id = :id"), {"id": listing_id}
        )
    call = text(
        "SELECT id FROM book_stay(gen_random_uuid(), :listing, :guest, '', :start, :end,"
        " :quantity, 1.00, 'EUR', '{}'::jsonb, :version, NULL, NULL, NULL)"
    )
    async with db.read() as session:
        version = (
            await session.execute(
                text("SELECT terms_version FROM listings WHERE id = :id"), {"id": listing_id}
            )
        ).scalar_one()
    stay_31_to_33 = {"listing": listing_id, "guest": guest.user_id, "version": version}
    stay_31_to_33 |= {"start": in_days(31), "end": in_days(33)}

    with pytest.raises(Exception, match="a night is full"):
        async with db.read() as session:
            await session.execute(call, {**stay_31_to_33, "quantity": 2})
    async with db.read() as session:
        booked = await session.execute(call, {**stay_31_to_33, "quantity": 1})
        assert booked.scalar_one() is not None
    with pytest.raises(Exception, match="a night is full"):
        async with db.read() as session:
            await session.execute(call, {**stay_31_to_33, "quantity": 1})
    async with db.read() as session:
        count = await session.execute(text("SELECT count(*) FROM reservations"))
        assert count.scalar_one() == 2


async def test_a_notification_drops_the_cached_terms(app, db, host, guest):
    db = app.db
    listing_id = await make_listing(db, host, units=5)
    await _book(db, guest, listing_id)
    cache = terms_cache_of(db)
    assert cache.get(listing_id) is not None
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET cleaning_fee = 25 WHERE id = :id"), {"id": listing_id}
        )
    for _ in range(100):
        if cache.get(listing_id) is None:
            break
        await asyncio.sleep(0.05)
    assert cache.get(listing_id) is None


# --- tokens ----------------------------------------------------------------------------


async def test_a_token_revoked_elsewhere_is_refused_within_the_cache_time(settings, db, guest):
    seconds = 1.0
    app = create_app(settings.model_copy(update={"token_cache_seconds": seconds}))
    token = await make_token(db, guest)
    async with started(app) as running:
        import httpx

        transport = httpx.ASGITransport(app=running)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            client = GraphQLClient(http)
            assert (await client(ME, token=token)).data["me"]
            # As the CLI or another replica would: nothing in this process hears of it.
            async with db.transaction() as session:
                await session.execute(text("UPDATE api_tokens SET revoked_at = now()"))
            await asyncio.sleep(seconds + 0.2)
            assert (await client(ME, token=token)).status == 401


async def test_a_token_revoked_here_is_refused_at_once(client, guest_token):
    revoke = "mutation($t: String!) { revokeApiToken(token: $t) { revoked } }"
    assert (await client(ME, token=guest_token)).data["me"]
    assert (await client(revoke, {"t": guest_token}, token=guest_token)).data
    assert (await client(ME, token=guest_token)).status == 401


# --- idempotency -----------------------------------------------------------------------


async def test_fifty_requests_under_one_key_make_one_reservation(db, host, guest):
    listing_id = await make_listing(db, host, units=5)
    data = NewReservation(listing_id=listing_id, start_date=in_days(30), nights=2)

    made = await asyncio.gather(
        *(booking_flows.book(db, guest=guest, data=data, idempotency_key="k-50") for _ in range(50))
    )

    assert len({row.id for row in made}) == 1
    async with db.read() as session:
        count = await session.execute(text("SELECT count(*) FROM reservations"))
        assert count.scalar_one() == 1


async def test_another_input_under_the_key_is_refused(db, host, guest):
    listing_id = await make_listing(db, host, units=5)
    first = NewReservation(listing_id=listing_id, start_date=in_days(30), nights=2)
    other = NewReservation(listing_id=listing_id, start_date=in_days(30), nights=3)
    await booking_flows.book(db, guest=guest, data=first, idempotency_key="k")

    with pytest.raises(DomainError) as refused:
        await booking_flows.book(db, guest=guest, data=other, idempotency_key="k")

    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED


# --- issue 19's terms on the one-statement path ------------------------------------------


async def test_a_tax_added_unheard_is_charged_and_recorded(db, host, guest):
    listing_id = await make_listing(db, host, units=5, nightly_price="100.00")
    untaxed = await _book(db, guest, listing_id, days=30)
    assert untaxed.total_amount == Decimal("200.00")
    async with db.transaction() as session:  # another process; no notification arrives here
        await session.execute(
            text(
                "INSERT INTO listing_taxes (id, listing_id, position, name, kind, rate,"
                " inclusive) VALUES (gen_random_uuid(), :id, 0, 'VAT', 'PERCENT', 10, false)"
            ),
            {"id": listing_id},
        )

    taxed = await _book(db, guest, listing_id, days=40)

    assert taxed.total_amount == Decimal("220.00")
    async with db.read() as session:
        recorded = await session.scalar(
            text("SELECT tax_amount FROM reservations WHERE id = :id"), {"id": taxed.id}
        )
    assert recorded == Decimal("20.00")


async def test_a_booking_rule_added_unheard_is_enforced(db, host, guest):
    listing_id = await make_listing(db, host, units=5)
    await _book(db, guest, listing_id, days=30)
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO listing_booking_rules (id, listing_id, min_nights)"
                " VALUES (gen_random_uuid(), :id, 3)"
            ),
            {"id": listing_id},
        )

    with pytest.raises(DomainError) as refused:
        await _book(db, guest, listing_id, days=40)  # two nights

    assert refused.value.code is ErrorCode.RULE_VIOLATED
    assert "minNights" in str(refused.value.field)


async def test_a_taxed_booking_is_one_statement_with_warm_caches(
    client, db, host, guest_token, monkeypatch
):
    listing_id = await make_listing(db, host, units=5, nightly_price="100.00")
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO listing_taxes (id, listing_id, position, name, kind, amount,"
                " inclusive) VALUES (gen_random_uuid(), :id, 0, 'City', 'PER_PERSON_NIGHT',"
                " 2.50, false)"
            ),
            {"id": listing_id},
        )
    await client(BOOK, {"input": stay(listing_id, days=30)}, token=guest_token)

    with round_trips(monkeypatch) as sent:
        made = await client(BOOK, {"input": stay(listing_id, days=40)}, token=guest_token)

    assert made.data["createReservation"]["errors"] == []
    assert made.data["createReservation"]["reservation"]["totalPrice"]["amount"] == "205.00"
    assert_one_statement(sent)


async def test_the_cached_terms_are_the_terms_quote_reads(db, host):
    """The cache reads a listing's terms as text sent to asyncpg; quote reads them through
    SQLAlchemy: the same terms, price rules, taxes and booking rules included."""
    listing_id = await make_listing(db, host, units=5, nightly_price="100.00")
    async with db.transaction() as session:
        for statement in (
            "INSERT INTO listing_price_rules (id, listing_id, name, start_date, end_date,"
            " nightly_price, weekdays) VALUES (gen_random_uuid(), :id, 'Season', :start,"
            " :end, 80, '{5,6}')",
            "INSERT INTO listing_taxes (id, listing_id, position, name, kind, rate,"
            " inclusive) VALUES (gen_random_uuid(), :id, 0, 'VAT', 'PERCENT', 10, true)",
            "INSERT INTO listing_booking_rules (id, listing_id, min_nights, max_nights)"
            " VALUES (gen_random_uuid(), :id, 2, 9)",
        ):
            await session.execute(
                text(statement), {"id": listing_id, "start": in_days(35), "end": in_days(50)}
            )
    async with db.read() as session:
        quoted = (await pricing.terms_of_listings(session=session, listing_ids=[listing_id]))[
            listing_id
        ]
    async with db.raw_read() as driver:
        cached = await TermsCache().load(driver, listing_id)

    assert cached is not None
    assert cached.kind is quoted.kind is ListingKind.STAY
    assert cached.terms == quoted.terms
    assert cached.terms.rules and cached.terms.taxes and cached.terms.booking_rules
