from datetime import date, timedelta

import pytest

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.core.pagination import page_request
from bookwell.models import ListingKind, Role
from bookwell.services.listings.availability import availability, search
from bookwell.services.listings.listings import ListingFilter
from bookwell.services.listings.stays import Stay
from tests.factories import MANY_HOLDS, book, make_listing, make_user

START = date.today() + timedelta(days=40)


def nights(first: int, last: int) -> Stay:
    return Stay(START + timedelta(days=first), START + timedelta(days=last))


def day(n: int) -> date:
    return START + timedelta(days=n)


async def test_free_units_is_the_fewest_on_any_night(db, host, guest):
    listing_id = await make_listing(db, host, units=3)
    await book(db, guest, listing_id, day(0), day(3))  # nights 0, 1, 2
    await book(db, guest, listing_id, day(2), day(4), quantity=2)  # nights 2, 3

    async with db.read() as session:
        for stay_, free in [
            (nights(0, 2), 2),
            (nights(0, 3), 0),
            (nights(3, 4), 1),
            (nights(4, 9), 3),
        ]:
            found = await availability(
                session=session, listing_ids=[listing_id], stay=stay_, quantity=1
            )
            assert found[listing_id].free_units == free
            assert found[listing_id].available is (free >= 1)


async def test_check_out_day_is_free_for_the_next_guest(db, host, guest):
    listing_id = await make_listing(db, host, units=1, **MANY_HOLDS)
    await book(db, guest, listing_id, day(0), day(7))
    async with db.read() as session:
        found = await availability(
            session=session, listing_ids=[listing_id], stay=nights(7, 8), quantity=1
        )
    assert found[listing_id].available
    await book(db, guest, listing_id, day(7), day(8))  # checks in the day the first checks out
    with pytest.raises(DomainError) as raised:
        await book(db, guest, listing_id, day(6), day(7))
    assert raised.value.code is ErrorCode.UNAVAILABLE


async def test_past_ranges_are_not_available(db, host):
    listing_id = await make_listing(db, host, units=1)
    yesterday = Stay(date.today() - timedelta(days=3), date.today() - timedelta(days=1))
    async with db.read() as session:
        found = await availability(
            session=session, listing_ids=[listing_id], stay=yesterday, quantity=1
        )
    assert found[listing_id].free_units == 1
    assert found[listing_id].available is False


async def test_search_finds_listings_with_room_on_every_night(db, host, guest):
    full = await make_listing(db, host, units=1, city="Paris", title="Full")
    partly = await make_listing(db, host, units=2, city="Paris", title="Partly")
    empty = await make_listing(db, host, units=1, city="Lisbon", title="Empty")
    await book(db, guest, full, day(2), day(3))
    await book(db, guest, partly, day(0), day(5))

    async def found(quantity=1, filter=None, stay_=None):
        async with db.read() as session:
            page = await search(
                session=session,
                stay=stay_ or nights(0, 4),
                quantity=quantity,
                filter=filter,
                page=page_request(20, None),
            )
        return [row.title for row in page.rows]

    assert await found() == ["Partly", "Empty"]
    assert await found(quantity=2) == []
    assert await found(stay_=nights(5, 9), quantity=2) == ["Partly"]
    assert await found(filter=ListingFilter(city="paris")) == ["Partly"]
    assert await found(filter=ListingFilter(city="Nowhere")) == []
    assert empty is not None


async def test_search_filters(db, host):
    await make_listing(db, host, title="Cheap loft", nightly_price="50", country="FR", max_guests=2)
    await make_listing(
        db, host, title="Grand hall", nightly_price="500", kind=ListingKind.SPACE, max_guests=80
    )
    await make_listing(db, host, title="100% cotton_tent", nightly_price="70")

    async def titles(**criteria):
        async with db.read() as session:
            page = await search(
                session=session,
                stay=nights(0, 1),
                quantity=1,
                filter=ListingFilter(**criteria),
                page=page_request(20, None),
            )
        return [row.title for row in page.rows]

    assert await titles(kind=ListingKind.SPACE) == ["Grand hall"]
    assert await titles(min_price=60, max_price=100) == ["100% cotton_tent"]
    assert await titles(min_guests=10) == ["Grand hall", "100% cotton_tent"]  # no limit set
    assert await titles(country="fr") == ["Cheap loft"]
    assert await titles(text="LOFT") == ["Cheap loft"]
    assert await titles(text="100%") == ["100% cotton_tent"]  # % is literal, not a wildcard
    assert await titles(text="n_t") == ["100% cotton_tent"]


async def test_search_pages_are_stable_and_complete(db, host):
    made = [await make_listing(db, host, title=f"L{n}") for n in range(7)]
    seen, after = [], None
    while True:
        async with db.read() as session:
            page = await search(
                session=session,
                stay=nights(0, 2),
                quantity=1,
                filter=None,
                page=page_request(3, after),
            )
        seen += [row.id for row in page.rows]
        if not page.has_next_page:
            break
        from bookwell.core.pagination import encode_cursor

        after = encode_cursor(page.rows[-1].id)
    assert seen == made


async def test_a_stay_cannot_start_before_today_where_the_listing_is(db):
    host = await make_user(db, Role.HOST)
    # Somewhere it is always already tomorrow compared with somewhere else.
    ahead = await make_listing(db, host, timezone="Pacific/Kiritimati", title="Ahead")
    behind = await make_listing(db, host, timezone="Pacific/Pago_Pago", title="Behind")
    from bookwell.services.listings.stays import today_in

    yesterday_ahead = today_in("Pacific/Kiritimati") - timedelta(days=1)
    async with db.read() as session:
        page = await search(
            session=session,
            stay=Stay(yesterday_ahead, yesterday_ahead + timedelta(days=1)),
            quantity=1,
            filter=None,
            page=page_request(20, None),
        )
    titles = [row.title for row in page.rows]
    assert "Ahead" not in titles
    assert ahead and behind
