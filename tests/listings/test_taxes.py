"""A listing's taxes: line items of quotes and of a booking's price snapshot, in Decimal."""

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from bookwell.models import TaxKind, VoucherKind
from bookwell.services.listings.agreed_price import refund_due
from bookwell.services.listings.charges import Discount, Tax, tax_amount
from bookwell.services.listings.pricing import Terms, quote
from bookwell.services.listings.stays import Stay
from tests.factories import book_over_graphql, in_days, make_listing

VAT = Tax("VAT", TaxKind.PERCENT, inclusive=True, rate=Decimal("7"))
CITY_TAX = Tax("Tourist tax", TaxKind.PER_PERSON_NIGHT, inclusive=False, amount=Decimal("2.50"))
SALES_TAX = Tax("Sales tax", TaxKind.PERCENT, inclusive=False, rate=Decimal("8.875"))
STAY = Stay(date(2031, 1, 6), date(2031, 1, 9))  # 3 nights


def terms(*taxes: Tax, cleaning_fee: str = "0") -> Terms:
    return Terms(
        nightly_price=Decimal("100.00"),
        currency="EUR",
        cleaning_fee=Decimal(cleaning_fee),
        free_cancellation_days=3,
        late_refund_percent=40,
        timezone="Europe/Paris",
        taxes=taxes,
    )


def lines(priced, kind):
    return [item for item in priced.snapshot["lineItems"] if item["kind"] == kind]


def test_inclusive_vat_is_shown_not_added_and_a_tourist_tax_is_added():
    priced = quote(terms(VAT, CITY_TAX, cleaning_fee="30"), STAY, 1)
    vat, city = lines(priced, "TAX")
    # 330 gross holds 7/107 of VAT: 21.588... rounded half up.
    assert vat["amount"] == "21.59" and vat["included"] is True
    assert city["amount"] == "7.50" and city["included"] is False
    assert (city["unitPrice"], city["quantity"]) == ("2.50", 3)  # 1 person x 3 nights
    assert priced.total == Decimal("337.50")
    assert priced.snapshot["taxTotal"] == "29.09"


def test_per_person_tax_defaults_to_one_person_per_unit_and_takes_persons():
    assert lines(quote(terms(CITY_TAX), STAY, 2), "TAX")[0]["amount"] == "15.00"
    # The pure computation takes the guests when a booking knows them (adults, later).
    assert tax_amount(CITY_TAX, taxable=Decimal(0), persons=4, nights=3) == Decimal("30.00")
    assert lines(quote(terms(CITY_TAX), STAY, 1, persons=4), "TAX")[0]["amount"] == "30.00"


def test_exclusive_percent_is_added_on_the_discounted_price_exactly():
    ten_off = Discount("TEN", VoucherKind.PERCENT, Decimal("10"))
    priced = quote(terms(SALES_TAX), STAY, 1, discount=ten_off)
    assert lines(priced, "DISCOUNT")[0]["amount"] == "-30.00"
    # 8.875 % of 270.00 = 23.9625 -> 23.96; a float would give 23.962499...
    assert lines(priced, "TAX")[0]["amount"] == "23.96"
    assert priced.total == Decimal("293.96")


def test_amounts_are_decimals_and_decimal_strings_never_floats():
    priced = quote(terms(VAT, CITY_TAX, SALES_TAX, cleaning_fee="19.99"), STAY, 3)
    assert isinstance(priced.total, Decimal)
    for item in priced.snapshot["lineItems"]:
        for key in ("unitPrice", "amount"):
            assert isinstance(item[key], str) and Decimal(item[key]) == Decimal(item[key]).quantize(
                Decimal("0.01")
            )
    # The snapshot round-trips through JSON with no number in it that could become a float.
    decoded = json.loads(json.dumps(priced.snapshot), parse_float=lambda _: 1 / 0)
    assert decoded["total"] == str(priced.total)
    parts = sum(Decimal(i["amount"]) for i in priced.snapshot["lineItems"] if not i.get("included"))
    assert parts == priced.total


def test_a_late_cancellation_refunds_added_taxes_with_the_fees():
    snapshot = quote(terms(CITY_TAX), STAY, 1).snapshot  # 300 + 7.50
    due = refund_due(
        snapshot=snapshot, start_date=STAY.start, today=date(2031, 1, 5), by_host=False
    )
    assert due == Decimal("127.50")  # 40 % of the nights, the tax in full


SET_TAXES = """
mutation($id: ID!, $taxes: [TaxInput!]!) {
  setListingTaxes(listingId: $id, taxes: $taxes) {
    taxes { name kind rate amount { amount currency } inclusive }
    errors { code field message }
  }
}"""

QUOTE = """
query($id: ID!, $start: Date!) {
  listing(id: $id) {
    taxes { name kind rate inclusive }
    quote(startDate: $start, nights: 2) {
      total { amount } taxTotal { amount }
      lineItems { kind description amount { amount } included }
    }
  }
}"""

TAXES = [
    {"name": "VAT", "kind": "PERCENT", "rate": "7", "inclusive": True},
    {"name": "Tourist tax", "kind": "PER_PERSON_NIGHT", "amount": "2.50"},
]


async def test_a_host_sets_taxes_and_quotes_and_bookings_show_them(
    client, db, host, host_token, guest_token
):
    listing_id = await make_listing(db, host)
    answer = await client(SET_TAXES, {"id": str(listing_id), "taxes": TAXES}, token=host_token)
    payload = answer.data["setListingTaxes"]
    assert payload["errors"] == []
    assert [(t["name"], t["rate"], t["amount"]) for t in payload["taxes"]] == [
        ("VAT", "7", None),
        ("Tourist tax", None, {"amount": "2.50", "currency": "USD"}),
    ]

    start = in_days(20).isoformat()
    quoted = (await client(QUOTE, {"id": str(listing_id), "start": start})).data["listing"]
    assert [t["name"] for t in quoted["taxes"]] == ["VAT", "Tourist tax"]
    assert quoted["quote"]["total"] == {"amount": "205.00"}
    assert quoted["quote"]["taxTotal"] == {"amount": "18.08"}  # 13.08 included + 5.00
    assert [
        (i["kind"], i["amount"]["amount"], i["included"]) for i in quoted["quote"]["lineItems"]
    ] == [
        ("NIGHTS", "200.00", False),
        ("TAX", "13.08", True),
        ("TAX", "5.00", False),
    ]

    fields = "id totalPrice { amount } price { taxTotal { amount } }"
    booked = await book_over_graphql(client, guest_token, listing_id, start, 2, fields=fields)
    assert booked["totalPrice"] == {"amount": "205.00"}
    assert booked["price"]["taxTotal"] == {"amount": "18.08"}
    async with db.read() as session:
        stored = (
            await session.execute(
                text("SELECT tax_amount FROM reservations WHERE total_amount = 205.00")
            )
        ).scalar_one()
    assert stored == Decimal("18.08")


async def test_only_the_listing_host_sets_taxes_and_mistakes_come_together(
    client, db, host, guest_token, host_token
):
    listing_id = await make_listing(db, host)
    refused = await client(SET_TAXES, {"id": str(listing_id), "taxes": TAXES}, token=guest_token)
    assert [e["code"] for e in refused.data["setListingTaxes"]["errors"]] == ["FORBIDDEN"]
    bad = [
        {"name": "VAT", "kind": "PERCENT", "rate": "170"},
        {"name": "City", "kind": "PER_PERSON_NIGHT", "amount": "2.555"},
    ]
    answer = await client(SET_TAXES, {"id": str(listing_id), "taxes": bad}, token=host_token)
    errors = answer.data["setListingTaxes"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_INPUT", ["taxes", "0", "rate"]),
        ("INVALID_INPUT", ["taxes", "1", "amount"]),
    ]
    cleared = await client(SET_TAXES, {"id": str(listing_id), "taxes": []}, token=host_token)
    assert cleared.data["setListingTaxes"] == {"taxes": [], "errors": []}


def test_a_late_cancellation_keeps_its_share_of_the_discounted_nights():
    ten_off = Discount("TEN", VoucherKind.PERCENT, Decimal("10"))
    snapshot = quote(terms(cleaning_fee="30"), STAY, 1, discount=ten_off).snapshot  # 270 + 30
    assert snapshot["total"] == "300.00" and snapshot["voucher"]["code"] == "TEN"
    due = refund_due(
        snapshot=snapshot, start_date=STAY.start, today=date(2031, 1, 5), by_host=False
    )
    assert due == Decimal("138.00")  # 40 % of the 270.00 paid for nights, the fee in full
