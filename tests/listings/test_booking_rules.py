"""Booking rules (issue 19.1) in every path that creates or moves a booking (a hold, a
booking without an account, a change of dates, a slot, a waitlist offer), a season's
override there, and the searches that leave out what the rules forbid. The pure check:
test_booking_rules_check.py; setting them: test_booking_rules_api.py."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import Role
from bookwell.services.listings import booking_rules_store as store
from bookwell.services.listings.booking_rules import Rules
from bookwell.services.waitlist.waitlist import (
    NewWaitlistEntry,
    join_waitlist,
    offer_freed_units,
)
from tests.factories import (
    book,
    book_over_graphql,
    book_slot,
    in_days,
    make_listing,
    make_slot_listing,
    make_user,
    try_book_over_graphql,
)
from tests.support.guest_checkout import checkout_listing, try_checkout


async def set_rules(db, host, listing_id, **rules) -> None:
    async with db.transaction() as session:
        await store.set_rules(
            session=session, principal=host, listing_id=listing_id, rules=Rules(**rules)
        )


def on_weekday(weekday: int, ahead: int = 20) -> date:
    """The first day with that ISO weekday at least `ahead` days from today (UTC)."""
    day = in_days(ahead)
    return day + timedelta(days=(weekday - day.isoweekday()) % 7)


async def test_create_reservation_is_refused_with_the_rule_named(client, db, host, guest_token):
    listing_id = await make_listing(db, host)
    await set_rules(db, host, listing_id, min_nights=3)
    refused = await try_book_over_graphql(client, guest_token, listing_id, in_days(20), nights=2)
    assert refused["reservation"] is None
    [error] = refused["errors"]
    assert error["code"] == "RULE_VIOLATED"
    assert error["field"] == ["input", "minNights"]
    assert "minNights" in error["message"] and "3 night" in error["message"]
    await book_over_graphql(client, guest_token, listing_id, in_days(20), nights=3)


async def test_closed_to_arrival_and_departure(client, db, host, guest_token):
    listing_id = await make_listing(db, host)
    await set_rules(db, host, listing_id, arrival_weekdays={6}, departure_weekdays={6})
    friday = on_weekday(5)
    refused = await try_book_over_graphql(client, guest_token, listing_id, friday, nights=8)
    assert [e["field"] for e in refused["errors"]] == [["input", "arrivalWeekdays"]]
    saturday = friday + timedelta(days=1)
    wrong_end = await try_book_over_graphql(client, guest_token, listing_id, saturday, nights=6)
    assert [e["field"] for e in wrong_end["errors"]] == [["input", "departureWeekdays"]]
    await book_over_graphql(client, guest_token, listing_id, saturday, nights=7)


async def test_notice_and_window_refuse_holds(db, host, guest):
    listing_id = await make_listing(db, host)
    await set_rules(db, host, listing_id, min_notice_hours=72, booking_window_days=60)
    for start, rule in ((in_days(1), "minNoticeHours"), (in_days(61), "bookingWindowDays")):
        with pytest.raises(DomainError) as refused:
            await book(db, guest, listing_id, start, nights=2, as_the_api_does=True)
        assert refused.value.code is ErrorCode.RULE_VIOLATED
        assert refused.value.field == (rule,)
    await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)


async def test_a_booking_without_an_account_keeps_the_rules(client, db, host):
    listing_id = await checkout_listing(db, host)
    await set_rules(db, host, listing_id, max_nights=2)
    answer = await try_checkout(client, listing_id, nights=3)
    errors = answer.data["createReservation"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("RULE_VIOLATED", ["input", "maxNights"])]
    async with db.read() as session:
        count = await session.execute(
            text("SELECT count(*) FROM reservations WHERE listing_id = :id"), {"id": listing_id}
        )
        assert count.scalar_one() == 0


CHANGE = """mutation($input: ChangeReservationDatesInput!) {
  changeReservationDates(input: $input) {
    reservation { startDate endDate } errors { code field message }
  }
}"""


async def test_a_change_of_dates_keeps_the_rules(client, db, host, guest_token):
    listing_id = await make_listing(db, host)
    booked = await book_over_graphql(client, guest_token, listing_id, in_days(20), nights=3)
    await set_rules(db, host, listing_id, min_nights=3)
    shorter = {"id": booked["id"], "startDate": str(in_days(20)), "nights": 2}
    refused = await client(CHANGE, {"input": shorter}, token=guest_token)
    payload = refused.data["changeReservationDates"]
    assert payload["reservation"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("RULE_VIOLATED", ["input", "minNights"])
    ]
    moved = {"id": booked["id"], "startDate": str(in_days(22)), "nights": 4}
    answer = await client(CHANGE, {"input": moved}, token=guest_token)
    assert answer.data["changeReservationDates"]["errors"] == []


async def test_a_change_keeping_the_arrival_is_not_held_to_notice(client, db, host, guest_token):
    listing_id = await make_listing(db, host)
    booked = await book_over_graphql(client, guest_token, listing_id, in_days(2), nights=2)
    await set_rules(db, host, listing_id, min_notice_hours=24 * 7)
    longer = {"id": booked["id"], "startDate": str(in_days(2)), "nights": 4}
    answer = await client(CHANGE, {"input": longer}, token=guest_token)
    assert answer.data["changeReservationDates"]["errors"] == []
    later = {"id": booked["id"], "startDate": str(in_days(3)), "nights": 2}
    moved = await client(CHANGE, {"input": later}, token=guest_token)
    errors = moved.data["changeReservationDates"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("RULE_VIOLATED", ["input", "minNoticeHours"])
    ]


async def test_a_season_applies_to_arrivals_in_it(client, db, host, guest_token):
    listing_id = await make_listing(db, host)
    await set_rules(db, host, listing_id, min_nights=2)
    async with db.transaction() as session:
        season = store.NewSeason("Peak", in_days(30), in_days(40), Rules(min_nights=5))
        await store.add_season(
            session=session, principal=host, listing_id=listing_id, season=season
        )
    refused = await try_book_over_graphql(client, guest_token, listing_id, in_days(32), nights=3)
    [error] = refused["errors"]
    assert error["field"] == ["input", "minNights"] and "Peak" in error["message"]
    await book_over_graphql(client, guest_token, listing_id, in_days(20), nights=2)
    await book_over_graphql(client, guest_token, listing_id, in_days(32), nights=5)


async def test_a_waitlist_offer_the_rules_forbid_is_not_made(db, host):
    listing_id = await make_listing(db, host, units=1)
    taken = await book(db, None, listing_id, in_days(20), in_days(23), confirmed=True)
    waiting = await make_user(db, Role.GUEST)
    async with db.transaction() as session:
        data = NewWaitlistEntry(listing_id, in_days(20), end_date=in_days(22))
        entry = await join_waitlist(session=session, principal=waiting, data=data)
    await set_rules(db, host, listing_id, min_nights=3)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"), {"id": taken.id}
        )
    async with db.transaction() as session:
        offered = await offer_freed_units(session=session, listing_id=listing_id)
    assert offered == []
    async with db.read() as session:
        found = await session.execute(
            text("SELECT status FROM waitlist_entries WHERE id = :id"), {"id": entry.id}
        )
        assert found.scalar_one() == "WAITING"
    await set_rules(db, host, listing_id)  # no rules: now it may be offered
    async with db.transaction() as session:
        offered = await offer_freed_units(session=session, listing_id=listing_id)
    assert [row.id for row in offered] == [entry.id]


async def test_a_slot_waitlist_offer_the_rules_forbid_is_not_made(db, host):
    listing_id = await make_slot_listing(db, host)
    starts = datetime.combine(in_days(10, "Europe/Berlin"), time(10), ZoneInfo("Europe/Berlin"))
    taken = await book_slot(db, await make_user(db, Role.GUEST), listing_id, starts)
    waiting = await make_user(db, Role.GUEST)
    async with db.transaction() as session:
        data = NewWaitlistEntry(listing_id, starts_at=starts)
        entry = await join_waitlist(session=session, principal=waiting, data=data)
    await set_rules(db, host, listing_id, booking_window_days=5)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"), {"id": taken.id}
        )
    async with db.transaction() as session:
        assert await offer_freed_units(session=session, listing_id=listing_id) == []
    await set_rules(db, host, listing_id, booking_window_days=30)
    async with db.transaction() as session:
        offered = await offer_freed_units(session=session, listing_id=listing_id)
    assert [row.id for row in offered] == [entry.id]


def slot_time(zone: str, hours_from_now: float) -> datetime:
    """A whole hour between 10:00 and 16:00 local, at least `hours_from_now` ahead."""
    local = (datetime.now(UTC) + timedelta(hours=hours_from_now)).astimezone(ZoneInfo(zone))
    local = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while not 10 <= local.hour <= 16:
        local = (local + timedelta(hours=1)).replace(minute=0)
    return local


async def test_slots_keep_notice_and_window_but_not_nights(db, host, guest):
    listing_id = await make_slot_listing(db, host, units=2)
    await set_rules(db, host, listing_id, min_notice_hours=48, booking_window_days=30, min_nights=9)
    with pytest.raises(DomainError) as soon:
        await book_slot(db, guest, listing_id, slot_time("Europe/Berlin", 1))
    assert (soon.value.code, soon.value.field) == (ErrorCode.RULE_VIOLATED, ("minNoticeHours",))
    with pytest.raises(DomainError) as far:
        await book_slot(db, guest, listing_id, slot_time("Europe/Berlin", 24 * 40))
    assert far.value.field == ("bookingWindowDays",)
    booked = await book_slot(db, guest, listing_id, slot_time("Europe/Berlin", 24 * 5))
    assert booked.status.value == "PENDING"
    # The host's own booking (a call, a walk-in) is theirs to allow.
    near = slot_time("Europe/Berlin", 1)
    by_host = await book_slot(db, host, listing_id, near, by_host=True, guest_name="Walk In")
    assert by_host.status.value == "CONFIRMED"


SEARCH = """query($start: Date!, $nights: Int!, $city: String!) {
  searchAvailability(startDate: $start, nights: $nights, filter: {city: $city}) {
    totalCount edges { node { databaseId } }
  }
}"""


async def found_in_search(client, city: str, start: date, nights: int) -> list[str]:
    answer = await client(SEARCH, {"start": str(start), "nights": nights, "city": city})
    result = answer.data["searchAvailability"]
    ids = [edge["node"]["databaseId"] for edge in result["edges"]]
    assert result["totalCount"] == len(ids)
    return ids


async def test_search_availability_leaves_out_what_the_rules_forbid(client, db, host):
    city = f"Rules {uuid.uuid4().hex[:6]}"
    free = await make_listing(db, host, city=city)
    ruled = await make_listing(db, host, city=city)
    await set_rules(
        db,
        host,
        ruled,
        min_nights=3,
        max_nights=10,
        min_notice_hours=72,
        booking_window_days=90,
        arrival_weekdays={6},
        departure_weekdays={6, 7},
    )
    saturday = on_weekday(6)
    both = sorted([str(free), str(ruled)])
    assert sorted(await found_in_search(client, city, saturday, 7)) == both
    assert await found_in_search(client, city, saturday, 2) == [str(free)]  # minNights
    assert await found_in_search(client, city, saturday, 14) == [str(free)]  # maxNights
    assert await found_in_search(client, city, saturday + timedelta(1), 6) == [str(free)]
    assert await found_in_search(client, city, saturday, 9) == [str(free)]  # departs Monday
    assert await found_in_search(client, city, in_days(1), 7) == [str(free)]  # notice
    late = on_weekday(6, ahead=100)
    assert await found_in_search(client, city, late, 7) == [str(free)]  # window
    async with db.transaction() as session:
        season = store.NewSeason(
            "Short", saturday, saturday + timedelta(1), Rules(min_nights=1, departure_weekdays={1})
        )
        await store.add_season(session=session, principal=host, listing_id=ruled, season=season)
    assert sorted(await found_in_search(client, city, saturday, 2)) == both  # ends on Monday


SLOTS = """query($id: ID!, $date: Date!) {
  searchSlots(listingId: $id, date: $date) { edges { node { slots { startsAt } } } }
}"""


async def test_search_slots_leaves_out_slots_inside_the_notice(client, db, host):
    listing_id = await make_slot_listing(db, host, opens_at=time(0), closes_at=time(0))
    day = in_days(3, "Europe/Berlin")
    everything = await client(SLOTS, {"id": str(listing_id), "date": str(day)})
    [edge] = everything.data["searchSlots"]["edges"]
    assert len(edge["node"]["slots"]) == 24
    # Notice that ends at local noon of that day.
    noon = datetime.combine(day, time(12), ZoneInfo("Europe/Berlin"))
    hours = int((noon - datetime.now(UTC)).total_seconds() // 3600) + 1
    await set_rules(db, host, listing_id, min_notice_hours=hours)
    answer = await client(SLOTS, {"id": str(listing_id), "date": str(day)})
    [edge] = answer.data["searchSlots"]["edges"]
    starts = [datetime.fromisoformat(slot["startsAt"]) for slot in edge["node"]["slots"]]
    assert starts and all(start >= datetime.now(UTC) + timedelta(hours=hours) for start in starts)
    assert len(starts) < 24
