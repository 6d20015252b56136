"""Listing.quote under the host's terms (issue 19): it says whether the stay may be booked
now and names each rule it breaks, as createReservation would refuse it; it takes adults
and children and prices a per-person tax from them exactly as the booking does."""

from datetime import timedelta
from decimal import Decimal

from bookwell.models import TaxKind
from bookwell.services.listings import booking_rules_store as store
from bookwell.services.listings.booking_rules import Rules
from bookwell.services.listings.charges import Tax
from bookwell.services.listings.taxes import set_listing_taxes
from tests.factories import in_days, make_listing, try_book_over_graphql

OLD_FIELDS = """
  total { amount currency } taxTotal { amount } voucherCode
  lineItems { kind description startDate endDate unitPrice { amount } quantity
              amount { amount } included }
  cancellationPolicy { freeCancellationDays lateRefundPercent }
"""
QUOTE = (
    """query($id: ID!, $start: Date!, $nights: Int!, $quantity: Int! = 1,
         $adults: Int, $children: Int) {
  listing(id: $id) {
    quote(startDate: $start, nights: $nights, quantity: $quantity, adults: $adults,
          children: $children) {"""
    + OLD_FIELDS
    + """ bookable violations { code field message } } } }"""
)
OLD_QUOTE = (
    """query($id: ID!, $start: Date!, $nights: Int!) {
  listing(id: $id) { quote(startDate: $start, nights: $nights) {"""
    + OLD_FIELDS
    + "} } }"
)
CITY_TAX = Tax("Tourist tax", TaxKind.PER_PERSON_NIGHT, inclusive=False, amount=Decimal("2.50"))


async def set_rules(db, host, listing_id, **rules) -> None:
    async with db.transaction() as session:
        await store.set_rules(
            session=session, principal=host, listing_id=listing_id, rules=Rules(**rules)
        )


async def quote(client, listing_id, start, nights, **more):
    variables = {"id": str(listing_id), "start": str(start), "nights": nights} | more
    answer = await client(QUOTE, variables)
    return answer.data["listing"]["quote"]


def on_weekday(weekday: int, ahead: int = 20):
    day = in_days(ahead)
    return day + timedelta(days=(weekday - day.isoweekday()) % 7)


async def test_a_quote_names_each_rule_the_stay_breaks_as_the_booking_would(
    client, db, host, guest_token
):
    listing_id = await make_listing(db, host, timezone="UTC")
    await set_rules(db, host, listing_id, min_nights=3, arrival_weekdays={6})
    friday = on_weekday(5)
    quoted = await quote(client, listing_id, friday, 2)
    assert quoted["bookable"] is False
    assert [(v["code"], v["field"]) for v in quoted["violations"]] == [
        ("RULE_VIOLATED", ["minNights"]),
        ("RULE_VIOLATED", ["arrivalWeekdays"]),
    ]
    assert quoted["total"] == {"amount": "200.00", "currency": "USD"}  # still priced
    refused = await try_book_over_graphql(client, guest_token, listing_id, friday, nights=2)
    [error] = refused["errors"]  # the booking refuses the first, with the same sentence
    assert error["code"] == "RULE_VIOLATED"
    assert error["message"] == quoted["violations"][0]["message"]
    allowed = await quote(client, listing_id, friday + timedelta(days=1), 3)
    assert (allowed["bookable"], allowed["violations"]) == (True, [])


async def test_a_quote_the_rules_allow_answers_as_before(client, db, host):
    listing_id = await make_listing(db, host, timezone="UTC")
    async with db.transaction() as session:
        await set_listing_taxes(
            session=session, principal=host, listing_id=listing_id, taxes=[CITY_TAX]
        )
    variables = {"id": str(listing_id), "start": str(in_days(20)), "nights": 3}
    before = await client(OLD_QUOTE, variables)
    await set_rules(db, host, listing_id, min_nights=2, max_nights=7, booking_window_days=90)
    after = await client(OLD_QUOTE, variables)
    assert before.errors == after.errors == []
    assert after.body == before.body


async def test_notice_window_past_units_and_guests_are_named(client, db, host):
    listing_id = await make_listing(db, host, timezone="UTC", units=2, max_guests=2)
    await set_rules(db, host, listing_id, min_notice_hours=72, booking_window_days=60)

    async def refused(start, nights=2, **more):
        quoted = await quote(client, listing_id, start, nights, **more)
        assert quoted["bookable"] is False
        return [(v["code"], v["field"]) for v in quoted["violations"]]

    assert await refused(in_days(1)) == [("RULE_VIOLATED", ["minNoticeHours"])]
    assert await refused(in_days(61)) == [("RULE_VIOLATED", ["bookingWindowDays"])]
    assert await refused(in_days(-3)) == [
        ("INVALID_DATES", ["startDate"]),
        ("RULE_VIOLATED", ["minNoticeHours"]),
    ]
    assert await refused(in_days(10), quantity=3) == [("INVALID_INPUT", ["quantity"])]
    assert await refused(in_days(10), adults=2, children=1) == [("TOO_MANY_GUESTS", ["adults"])]
    fits = await quote(client, listing_id, in_days(10), 2, quantity=2, adults=3, children=1)
    assert (fits["bookable"], fits["violations"]) == (True, [])


async def test_a_per_person_tax_counts_adults_and_children_as_the_booking_does(
    client, db, host, guest_token
):
    listing_id = await make_listing(db, host, timezone="UTC")
    async with db.transaction() as session:
        await set_listing_taxes(
            session=session, principal=host, listing_id=listing_id, taxes=[CITY_TAX]
        )
    start = in_days(20)
    unknown = await quote(client, listing_id, start, 2)
    assert unknown["taxTotal"] == {"amount": "5.00"}  # one person per unit, as before
    quoted = await quote(client, listing_id, start, 2, adults=2, children=1)
    tax = [line for line in quoted["lineItems"] if line["kind"] == "TAX"]
    assert [(t["description"], t["quantity"], t["amount"]) for t in tax] == [
        ("Tourist tax (3 person(s) x 2 night(s))", 6, {"amount": "15.00"})
    ]
    assert quoted["total"]["amount"] == "215.00"
    fields = "id totalPrice { amount } price { " + OLD_FIELDS + " }"
    booked = await try_book_over_graphql(
        client, guest_token, listing_id, start, 2, fields=fields, adults=2, children=1
    )
    assert booked["errors"] == []
    price = booked["reservation"]["price"]
    assert {key: price[key] for key in price} == {key: quoted[key] for key in price}


async def test_guests_are_checked_as_the_booking_checks_them(client, db, host):
    listing_id = await make_listing(db, host, timezone="UTC")
    variables = {"id": str(listing_id), "start": str(in_days(20)), "nights": 2}
    no_adults = await client(QUOTE, variables | {"children": 2})
    assert no_adults.codes == ["INVALID_INPUT"]
    assert no_adults.errors[0]["extensions"]["field"] == ["adults"]
    both = await client(QUOTE, variables | {"adults": 0, "nights": 0})
    assert sorted(both.codes) == ["INVALID_DATES", "INVALID_INPUT"]
    assert both.body["data"] is None or both.body["data"]["listing"] is None
