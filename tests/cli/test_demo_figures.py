"""What the demo data shows through the API after seeding: the restaurant's tables seat 2, 4
and 6; the demo host's report has revenue from past stays; and those stays' reviews read
back as ratings and reviews. (test_cli.py counts the seeded rows; this reads them as a user
of the API would.)"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bookwell.cli.seed import DEMO_EMAIL, seed
from bookwell.core.ids import global_id
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from tests.factories import make_token
from tests.support.lifecycle_steps import sql

UNITS = """query($id: ID!, $startsAt: DateTime!) {
  listing(id: $id) { title bookableUnits { label seats } }
  freeUnits(listingId: $id, startsAt: $startsAt, partySize: 1) { seats }
}"""
REPORT = """query($start: Date!, $end: Date!) {
  report(startDate: $start, endDate: $end) {
    totals { currency bookedNights revenue { amount currency } }
    overall { reservations }
  }
}"""
REVIEWS = """query($id: ID!) {
  listing(id: $id) { rating { average count } reviews(first: 100) { edges { node { rating } } } }
}"""
CUSTOMERS = "{ customers(first: 100) { edges { node { name phone bookings } } } }"


@pytest.fixture
async def seeded(db):
    await seed(db, reservations_count=5)
    [demo] = await sql(db, "SELECT id FROM users WHERE email = :email", email=DEMO_EMAIL)
    return await make_token(db, Principal(demo.id, Role.HOST))


async def test_the_demo_restaurants_tables_seat_2_4_and_6(client, db, seeded):
    [row] = await sql(db, "SELECT id, timezone FROM listings WHERE title LIKE 'Chez Dana%'")
    # A week on: no demo booking that evening.
    evening = datetime.combine(
        date.today() + timedelta(days=7), time(19), ZoneInfo(row.timezone)
    ).isoformat()
    answer = await client(UNITS, {"id": global_id("Listing", row.id), "startsAt": evening})
    assert answer.errors == [], answer.body
    tables = answer.data["listing"]["bookableUnits"]
    assert {table["seats"] for table in tables} == {2, 4, 6}
    assert sorted(table["seats"] for table in answer.data["freeUnits"]) == [2, 2, 4, 4, 6, 6]
    # The host's phone booking there is the named guest's: she is one of their customers.
    customers = (await client(CUSTOMERS, token=seeded)).data["customers"]["edges"]
    rousseau = [c["node"] for c in customers if c["node"]["name"].startswith("Mme Rousseau")]
    assert rousseau == [{"name": "Mme Rousseau (by phone)", "phone": "+33142685300", "bookings": 1}]


async def test_the_demo_hosts_report_has_revenue_from_past_stays(client, seeded):
    today = date.today()
    answer = await client(
        REPORT,
        {"start": (today - timedelta(days=300)).isoformat(), "end": today.isoformat()},
        token=seeded,
    )
    assert answer.errors == [], answer.body
    report = answer.data["report"]
    assert report["overall"]["reservations"] > 0
    earned = {total["currency"]: Decimal(total["revenue"]["amount"]) for total in report["totals"]}
    assert any(amount > 0 for amount in earned.values()), report["totals"]
    assert all(total["bookedNights"] >= 0 for total in report["totals"])


async def test_the_demo_has_reviews_that_read_back_through_the_api(client, db, seeded):
    rows = await sql(
        db,
        "SELECT listing_id, count(*) AS reviews, avg(rating) AS average FROM reviews "
        "GROUP BY listing_id ORDER BY count(*) DESC",
    )
    assert rows, "the demo has no reviews"
    most = rows[0]
    answer = await client(REVIEWS, {"id": global_id("Listing", most.listing_id)})
    assert answer.errors == [], answer.body
    listing = answer.data["listing"]
    assert listing["rating"]["count"] == most.reviews > 0
    assert listing["rating"]["average"] == pytest.approx(float(most.average), abs=0.01)
    assert len(listing["reviews"]["edges"]) == most.reviews
    assert all(1 <= edge["node"]["rating"] <= 5 for edge in listing["reviews"]["edges"])


FAMILY_TABLE = """query($id: ID!, $start: Date!, $end: Date!) {
  listing(id: $id) {
    taxes { name rate inclusive }
    reservations(first: 10) { edges { node {
      status adults children partySize specialRequests totalPrice { amount }
      price { voucherCode taxTotal { amount } lineItems { kind description included } } } } }
  }
  report(listingId: $id, startDate: $start, endDate: $end) {
    totals { currency taxCollected { amount } netRevenue { amount } revenue { amount } }
  }
}"""


async def test_the_demo_restaurant_has_a_taxed_table_booked_with_the_demo_voucher(
    client, db, seeded
):
    [row] = await sql(db, "SELECT id FROM listings WHERE title LIKE 'Chez Dana%'")
    today = date.today()
    answer = await client(
        FAMILY_TABLE,
        {
            "id": global_id("Listing", row.id),
            "start": today.isoformat(),
            "end": (today + timedelta(days=30)).isoformat(),
        },
        token=seeded,
    )
    assert answer.errors == [], answer.body
    listing = answer.data["listing"]
    assert listing["taxes"] == [{"name": "VAT", "rate": "10", "inclusive": True}]
    bookings = [edge["node"] for edge in listing["reservations"]["edges"]]
    [family] = [b for b in bookings if (b["price"] or {}).get("voucherCode") == "DEMO10"]
    assert (family["status"], family["adults"], family["children"], family["partySize"]) == (
        "CONFIRMED", 2, 2, 4,
    )  # fmt: skip
    assert family["specialRequests"] == "A high chair, please."
    # A sitting at 25 EUR, 10 % off (DEMO10), 10 % VAT included in the 22.50 paid.
    assert family["totalPrice"] == {"amount": "22.50"}
    assert family["price"]["taxTotal"] == {"amount": "2.05"}
    assert [line["kind"] for line in family["price"]["lineItems"]] == ["SLOT", "DISCOUNT", "TAX"]
    [totals] = answer.data["report"]["totals"]
    assert totals["currency"] == "EUR"
    assert Decimal(totals["taxCollected"]["amount"]) >= Decimal("2.05")
    assert Decimal(totals["netRevenue"]["amount"]) == Decimal(
        totals["revenue"]["amount"]
    ) - Decimal(totals["taxCollected"]["amount"])
