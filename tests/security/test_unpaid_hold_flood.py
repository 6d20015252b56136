"""Unpaid holds that empty a listing.

The attack: one `createReservation(quantity: units, nights: 365)` holds every unit for a
year without paying; when it lapses the attacker holds again, from fresh accounts if need
be, and every hold emails the host. Variants: many small holds from one guest, many guests
at once (racing past a count), a 1-night hold grown afterwards with changeReservationDates.

The defence: limits on unpaid holds, listing settings the host may change with
updateListingTerms (maxHoldNights 30, maxHoldUnits 2, maxGuestHolds 2, maxListingHolds 10
by default), refused HOLD_LIMIT with a message naming the limit. The counts are taken under
the listing row's lock, so concurrent requests cannot pass them.
"""

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import booking as booking_flows
from bookwell.models import ListingKind, Role
from bookwell.services.booking.reservations import NewReservation
from tests.factories import (
    book_over_graphql,
    book_slot,
    in_days,
    make_listing,
    make_slot_listing,
    make_token,
    make_user,
    try_book_over_graphql,
)

TERMS = """
mutation($id: ID!, $input: ListingTermsInput!) {
  updateListingTerms(listingId: $id, input: $input) { errors { code field message } }
}"""
PAY = """
mutation($id: ID!) { payReservation(id: $id, idempotencyKey: "pay") { errors { code } } }"""
CHANGE = """
mutation($input: ChangeReservationDatesInput!) {
  changeReservationDates(input: $input) {
    reservation { nights quantity } errors { code field message }
  }
}"""


LIMITS = """query($id: ID!) {
  listing(id: $id) { maxHoldNights maxHoldUnits maxGuestHolds maxListingHolds }
}"""


async def set_terms(client, host_token, listing, **terms) -> list[dict]:
    answer = await client(TERMS, {"id": str(listing), "input": terms}, token=host_token)
    return answer.data["updateListingTerms"]["errors"]


def refused(payload: dict) -> list[tuple[str, list[str] | None]]:
    assert payload["reservation"] is None, payload
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def test_one_unpaid_hold_cannot_take_every_unit_for_a_year(client, db, host, guest_token):
    listing = await make_listing(db, host, units=5)
    payload = await try_book_over_graphql(
        client, guest_token, listing, in_days(3), nights=365, quantity=5
    )
    assert refused(payload) == [
        ("HOLD_LIMIT", ["input", "nights"]),
        ("HOLD_LIMIT", ["input", "quantity"]),
    ]
    messages = " ".join(error["message"] for error in payload["errors"])
    assert "maxHoldNights" in messages and "maxHoldUnits" in messages
    # The same range given by its end date is the same hold.
    by_end = await try_book_over_graphql(
        client, guest_token, listing, in_days(3), nights=None, endDate=str(in_days(40))
    )
    assert refused(by_end) == [("HOLD_LIMIT", ["input", "endDate"])]
    # Within the limits, it holds.
    await book_over_graphql(client, guest_token, listing, in_days(3), nights=30, quantity=2)


async def test_a_guest_has_few_unpaid_holds_on_a_listing(client, db, host, guest_token):
    listing = await make_listing(db, host, units=10)
    first = await book_over_graphql(client, guest_token, listing, in_days(3), nights=1)
    await book_over_graphql(client, guest_token, listing, in_days(5), nights=1)
    third = await try_book_over_graphql(client, guest_token, listing, in_days(7), nights=1)
    assert refused(third) == [("HOLD_LIMIT", None)]
    assert "maxGuestHolds" in third["errors"][0]["message"]
    # A paid hold is not unpaid any more: there is room for another.
    assert (await client(PAY, {"id": first["id"]}, token=guest_token)).data["payReservation"][
        "errors"
    ] == []
    await book_over_graphql(client, guest_token, listing, in_days(7), nights=1)


async def test_fresh_accounts_cannot_pass_the_listing_limit(client, db, host, host_token):
    listing = await make_listing(db, host, units=10)
    assert await set_terms(client, host_token, listing, maxListingHolds=3) == []
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(4)]
    for token in tokens[:3]:
        await book_over_graphql(client, token, listing, in_days(3), nights=1)
    fourth = await try_book_over_graphql(client, tokens[3], listing, in_days(3), nights=1)
    assert refused(fourth) == [("HOLD_LIMIT", None)]
    assert "maxListingHolds" in fourth["errors"][0]["message"]


async def test_concurrent_holds_cannot_pass_the_listing_limit(client, db, host, host_token):
    listing = await make_listing(db, host, units=20)
    assert await set_terms(client, host_token, listing, maxListingHolds=3) == []
    guests = [await make_user(db, Role.GUEST) for _ in range(10)]
    data = NewReservation(listing, in_days(3), nights=1)

    async def hold(guest):
        try:
            return await booking_flows.book(db, guest=guest, data=data)
        except DomainError as error:
            return error.code

    outcomes = await asyncio.gather(*(hold(guest) for guest in guests))
    codes = [outcome for outcome in outcomes if isinstance(outcome, ErrorCode)]
    assert len(outcomes) - len(codes) == 3
    assert set(codes) == {ErrorCode.HOLD_LIMIT}


async def test_a_small_hold_cannot_grow_past_the_limits(client, db, host, guest_token):
    listing = await make_listing(db, host, units=5)
    held = await book_over_graphql(client, guest_token, listing, in_days(3), nights=1)
    for change, field in (({"nights": 200}, "nights"), ({"nights": 1, "quantity": 5}, "quantity")):
        variables = {"input": {"id": held["id"], "startDate": str(in_days(3)), **change}}
        answer = await client(CHANGE, variables, token=guest_token)
        payload = answer.data["changeReservationDates"]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("HOLD_LIMIT", ["input", field])
        ]


async def test_the_host_sets_the_limits_in_range(client, db, host, host_token, guest_token):
    listing = await make_listing(db, host, units=5)
    errors = await set_terms(
        client, host_token, listing, maxHoldNights=366, maxHoldUnits=0, maxGuestHolds=0
    )
    assert sorted((e["code"], e["field"][-1]) for e in errors) == [
        ("INVALID_INPUT", "maxGuestHolds"),
        ("INVALID_INPUT", "maxHoldNights"),
        ("INVALID_INPUT", "maxHoldUnits"),
    ]
    assert await set_terms(client, host_token, listing, maxHoldNights=365, maxHoldUnits=5) == []
    shown = await client(LIMITS, {"id": str(listing)})
    assert shown.data["listing"] == {
        "maxHoldNights": 365,
        "maxHoldUnits": 5,
        "maxGuestHolds": 2,
        "maxListingHolds": 10,
    }
    await book_over_graphql(client, guest_token, listing, in_days(3), nights=365, quantity=5)


async def test_slot_listings_limit_unpaid_holds_too(db, host):
    """bookSlot took no notice of the limits: one guest could hold every projector, every
    slot of the day, and fresh accounts all of it again."""
    listing = await make_slot_listing(
        db, host, units=20, kind=ListingKind.EQUIPMENT, opens_at=None, closes_at=None
    )
    guest = await make_user(db, Role.GUEST)
    day = datetime.combine(in_days(5), time(9), tzinfo=ZoneInfo("Europe/Berlin"))

    async def hold(who, hour: int, quantity: int = 1):
        try:
            return await book_slot(db, who, listing, day + timedelta(hours=hour), quantity=quantity)
        except DomainError as error:
            return (error.code, error.field)

    assert await hold(guest, 0, quantity=20) == (ErrorCode.HOLD_LIMIT, ("quantity",))
    assert not isinstance(await hold(guest, 0), tuple)
    assert not isinstance(await hold(guest, 1), tuple)
    assert await hold(guest, 2) == (ErrorCode.HOLD_LIMIT, None)  # maxGuestHolds: 2
    others = [await make_user(db, Role.GUEST) for _ in range(10)]
    outcomes = await asyncio.gather(*(hold(other, 3 + n % 3) for n, other in enumerate(others)))
    assert sum(not isinstance(outcome, tuple) for outcome in outcomes) == 8  # 10 in all
    assert {outcome for outcome in outcomes if isinstance(outcome, tuple)} == {
        (ErrorCode.HOLD_LIMIT, None)
    }
