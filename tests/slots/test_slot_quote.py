"""Listing.slotQuote (issue 19): a slot booking's price before booking, by the function bookSlot
prices with (taxes, a voucher, the persons), with the terms' refusals named as bookSlot would
answer them, and bad input answered typed."""

from datetime import UTC, datetime, time, timedelta

from bookwell.graphql.limits.cost import CODE as COSTLY
from bookwell.models import ListingKind
from bookwell.services.listings import booking_rules_store as store
from bookwell.services.listings.booking_rules import Rules
from bookwell.services.listings.units import SlotSettings
from bookwell.services.slots.quotes import SlotQuoteRequest, quote_slot_booking
from tests.factories import MANY_HOLDS, book_slot, make_listing, make_slot_listing
from tests.slots.slot_clock import NOW, berlin
from tests.slots.test_slot_charges import CITY, SERVICE, VAT_ADDED, make_voucher, set_taxes
from tests.support.sql_statements import sql_statements

PRICE = """total { amount currency } taxTotal { amount } voucherCode
  lineItems { kind description quantity unitPrice { amount } amount { amount } included }"""
SLOT_QUOTE = f"""
query($id: ID!, $starts: DateTime!, $ends: DateTime, $party: Int, $quantity: Int! = 1,
      $adults: Int, $children: Int, $voucher: String) {{
  listing(id: $id) {{
    slotQuote(startsAt: $starts, endsAt: $ends, partySize: $party, quantity: $quantity,
              adults: $adults, children: $children, voucherCode: $voucher) {{
      {PRICE} bookable violations {{ code field message }} }} }} }}"""
BOOK_SLOT = f"""
mutation($input: BookSlotInput!) {{
  bookSlot(input: $input) {{
    reservation {{ price {{ {PRICE} }} }} errors {{ code field message }} }}
}}"""
DAY = (datetime.now(UTC) + timedelta(days=20)).date()


def at(hour: int, day=DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def slot_quote(client, listing_id, starts, **more):
    variables = {"id": str(listing_id), "starts": starts.isoformat()} | {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in more.items()
    }
    answer = await client(SLOT_QUOTE, variables)
    return answer


async def test_a_slot_quote_is_the_price_bookslot_then_gives(client, db, host, guest_token):
    space = await make_slot_listing(
        db, host, units=2, max_guests=4, timezone="UTC", opens_at=time(8), closes_at=time(20),
        **MANY_HOLDS,
    )  # fmt: skip
    await set_taxes(db, host, space, VAT_ADDED, CITY)
    await make_voucher(db, host, "ROOM10")
    asked = {"starts": at(10), "ends": at(13), "adults": 2, "children": 1, "voucher": "room10"}

    answer = await slot_quote(client, space, **asked)
    assert answer.errors == []
    quoted = answer.data["listing"]["slotQuote"]
    # 3 hours at 30.00 = 90.00; -10 % = 81.00; 19 % VAT 15.39; 2.50 x 3 persons.
    assert quoted["total"] == {"amount": "103.89", "currency": "USD"}
    assert quoted["taxTotal"] == {"amount": "22.89"}
    assert (quoted["voucherCode"], quoted["bookable"], quoted["violations"]) == (
        "ROOM10", True, [],
    )  # fmt: skip
    assert [line["kind"] for line in quoted["lineItems"]] == ["SLOT", "DISCOUNT", "TAX", "TAX"]

    booking = {
        "listingId": str(space), "startsAt": at(10).isoformat(), "endsAt": at(13).isoformat(),
        "adults": 2, "children": 1, "voucherCode": "room10",
    }  # fmt: skip
    booked = (await client(BOOK_SLOT, {"input": booking}, token=guest_token)).data["bookSlot"]
    assert booked["errors"] == []
    price = booked["reservation"]["price"]
    assert price == {key: quoted[key] for key in price}


async def test_the_service_quote_equals_the_booking_snapshot_for_a_table(db, host, guest):
    table = await make_listing(
        db, host, kind=ListingKind.RESTAURANT, timezone="Europe/Berlin", nightly_price="50.00",
        slots=SlotSettings(opens_at=time(18), closes_at=time(23)), **MANY_HOLDS,
    )  # fmt: skip
    await set_taxes(db, host, table, VAT_ADDED, SERVICE)
    await make_voucher(db, host, "TABLE10")
    starts = berlin(2031, 6, 6, 19)
    asked = SlotQuoteRequest(
        table, starts, party_size=4, adults=3, children=1, voucher_code="table10"
    )
    async with db.read() as session:
        quoted = await quote_slot_booking(session=session, asked=asked, now=NOW)
    row = await book_slot(
        db, guest, table, starts, party_size=4, adults=3, children=1, voucher_code="table10",
        now=NOW,
    )  # fmt: skip
    assert quoted.refusals == []
    assert quoted.snapshot == row.price_snapshot
    assert quoted.snapshot["total"] == "57.55"


async def test_each_refusal_is_named_and_the_slot_still_priced(client, db, host):
    space = await make_slot_listing(
        db, host, units=2, max_guests=2, timezone="UTC", opens_at=time(8), closes_at=time(20)
    )
    async with db.transaction() as session:
        await store.set_rules(
            session=session, principal=host, listing_id=space,
            rules=Rules(min_notice_hours=72, booking_window_days=60),
        )  # fmt: skip

    async def refused(starts, **more):
        quoted = (await slot_quote(client, space, starts, **more)).data["listing"]["slotQuote"]
        assert quoted["bookable"] is False
        assert quoted["total"]["amount"] != "0.00"  # still priced
        return [(v["code"], v["field"]) for v in quoted["violations"]]

    soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    tomorrow = (soon + timedelta(days=1)).date()
    assert await refused(at(10, tomorrow)) == [("RULE_VIOLATED", ["minNoticeHours"])]
    assert await refused(at(10, DAY + timedelta(days=50))) == [
        ("RULE_VIOLATED", ["bookingWindowDays"])
    ]
    yesterday = (soon - timedelta(days=1)).date()
    assert await refused(at(10, yesterday)) == [
        ("INVALID_DATES", ["startsAt"]),
        ("RULE_VIOLATED", ["minNoticeHours"]),
    ]
    assert await refused(at(21)) == [("INVALID_DATES", ["startsAt"])]  # after closing
    assert await refused(at(10).replace(minute=30)) == [("INVALID_DATES", ["startsAt"])]
    assert await refused(at(10), quantity=3) == [("INVALID_INPUT", ["quantity"])]
    assert await refused(at(10), adults=3) == [("TOO_MANY_GUESTS", ["adults"])]


async def test_bad_input_is_answered_typed(client, db, host):
    space = await make_slot_listing(db, host, timezone="UTC", opens_at=time(8), closes_at=time(20))
    stay = await make_listing(db, host)

    async def codes(listing_id, starts, **more):
        answer = await slot_quote(client, listing_id, starts, **more)
        assert answer.body["data"] == {"listing": None}  # nothing answered but the errors
        return sorted(
            (e["extensions"]["code"], tuple(e["extensions"].get("field") or ()))
            for e in answer.body["errors"]
        )

    assert await codes(space, at(10), quantity=0, party=0, children=1) == [
        ("INVALID_INPUT", ("adults",)),
        ("INVALID_INPUT", ("partySize",)),
        ("INVALID_INPUT", ("quantity",)),
    ]
    assert await codes(space, at(10), ends=at(9)) == [("INVALID_DATES", ("endsAt",))]
    assert await codes(space, at(10), voucher="NOPE") == [("VOUCHER_INVALID", ("voucherCode",))]
    assert (await codes(stay, at(10)))[0][0] == "INVALID_INPUT"


async def test_slot_quotes_weigh_their_work_in_the_query_cost(app, client):
    # 100 listings x 31 slot quotes (30 aliased: the most allowed) of two amounts each:
    # 21,901 at a weight of 5 (over the 20,000 allowed), 9,501 if one weighed as 1.
    quote = (
        '{}slotQuote(startsAt: "2031-06-06T10:00:00+00:00") '
        "{{ total {{ amount }} taxTotal {{ amount }} }}"
    )
    many = " ".join([quote.format("")] + [quote.format(f"q{n}: ") for n in range(30)])
    query = "{ listings(first: 100) { edges { node { " + many + " } } } }"
    with sql_statements(app) as statements:
        answer = await client(query)
    assert statements == []
    assert answer.status < 500 and answer.codes == [COSTLY], answer.body
    assert answer.errors[0]["extensions"]["cost"] == 21_901
