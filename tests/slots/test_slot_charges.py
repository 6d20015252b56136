"""Slot bookings carry the listing's taxes, a voucher's discount and their guests (issue 19),
in the same price snapshot and columns as stays: amounts exact, in Decimal."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.mail import compose
from bookwell.models import ListingKind, OutboxMessage, TaxKind, VoucherKind
from bookwell.services.listings import taxes as listing_taxes
from bookwell.services.listings.charges import Tax
from bookwell.services.listings.units import SlotSettings, TableSpec
from bookwell.services.slots import slots as slot_service
from bookwell.services.slots.slots import NewSlotBooking
from bookwell.services.vouchers import vouchers
from bookwell.workers.notices import notices_for
from tests.factories import MANY_HOLDS, book_slot, in_days, make_listing, make_slot_listing
from tests.notifications.notices import PUBLIC_URL, SENDER
from tests.slots.slot_clock import NOW, berlin

VAT_INCLUDED = Tax("VAT", TaxKind.PERCENT, inclusive=True, rate=Decimal("7"))
VAT_ADDED = Tax("VAT", TaxKind.PERCENT, inclusive=False, rate=Decimal("19"))
CITY = Tax("City", TaxKind.PER_PERSON_NIGHT, inclusive=False, amount=Decimal("2.50"))
SERVICE = Tax("Service", TaxKind.PER_PERSON_NIGHT, inclusive=False, amount=Decimal("1.00"))


async def set_taxes(db, host, listing_id, *taxes: Tax) -> None:
    async with db.transaction() as session:
        await listing_taxes.set_listing_taxes(
            session=session, principal=host, listing_id=listing_id, taxes=list(taxes)
        )


async def make_voucher(db, host, code: str, kind=VoucherKind.PERCENT, value="10", **fields):
    async with db.transaction() as session:
        new = vouchers.NewVoucher(code, kind, Decimal(value), **fields)
        return await vouchers.create_voucher(session=session, principal=host, new=new)


async def restaurant(db, host, tables=(2, 4, 6), price="50.00"):
    settings = SlotSettings(
        opens_at=time(18), closes_at=time(23), tables=tuple(TableSpec(s) for s in tables)
    )
    return await make_listing(
        db,
        host,
        kind=ListingKind.RESTAURANT,
        timezone="Europe/Berlin",
        nightly_price=price,
        slots=settings,
        **MANY_HOLDS,
    )


async def refused(db, guest, listing_id, starts_at, ends_at=None, **fields) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await book_slot(db, guest, listing_id, starts_at, ends_at, **fields, now=NOW)
    return raised.value


async def reservation_count(db) -> int:
    async with db.read() as session:
        return await session.scalar(text("SELECT count(*) FROM reservations"))


async def stored(db, reservation_id) -> tuple:
    """The row's total, tax and voucher, as reports and vouchers read them."""
    async with db.read() as session:
        return (
            await session.execute(
                text(
                    "SELECT total_amount, tax_amount, voucher_id FROM reservations WHERE id = :id"
                ),
                {"id": reservation_id},
            )
        ).one()


def lines(snapshot) -> list[tuple]:
    return [
        (i["kind"], i["description"], i["quantity"], i["amount"], i.get("included", False))
        for i in snapshot["lineItems"]
    ]


async def test_a_space_slot_is_taxed_per_person_and_with_vat_included(db, host, guest):
    space = await make_slot_listing(db, host, max_guests=4, **MANY_HOLDS)
    await set_taxes(db, host, space, VAT_INCLUDED, CITY)

    row = await book_slot(
        db, guest, space, berlin(2031, 6, 6, 10), berlin(2031, 6, 6, 12), adults=2, children=1,
        now=NOW,
    )  # fmt: skip

    # Two hours at 30.00; 7/107 of 60.00 is in the price; 2.50 for each of 3 persons, once.
    assert await stored(db, row.id) == (Decimal("67.50"), Decimal("11.43"), None)
    assert (row.adults, row.children, row.party_size) == (2, 1, 3)
    assert row.price_snapshot["total"] == "67.50"
    assert row.price_snapshot["taxTotal"] == "11.43"
    assert lines(row.price_snapshot)[1:] == [
        ("TAX", "VAT (7%) included", 1, "3.93", True),
        ("TAX", "City (3 person(s))", 3, "7.50", False),
    ]
    kind, _, quantity, amount, _ = lines(row.price_snapshot)[0]
    assert (kind, quantity, amount) == ("SLOT", 2, "60.00")


async def test_without_guests_a_per_person_tax_counts_the_party_or_one_per_unit(db, host, guest):
    space = await make_slot_listing(db, host, units=3, max_guests=4, **MANY_HOLDS)
    await set_taxes(db, host, space, CITY)
    at = berlin(2031, 6, 6, 10)

    two_units = await book_slot(db, guest, space, at, quantity=2, now=NOW)
    party = await book_slot(db, guest, space, at, party_size=3, now=NOW)

    assert (await stored(db, two_units.id))[:2] == (Decimal("65.00"), Decimal("5.00"))
    assert (await stored(db, party.id))[:2] == (Decimal("37.50"), Decimal("7.50"))
    assert (party.adults, party.children) == (None, None)  # partySize alone: the split unknown


async def test_a_voucher_comes_off_a_table_before_its_taxes(db, host, guest):
    table = await restaurant(db, host)
    await set_taxes(db, host, table, VAT_ADDED, SERVICE)
    voucher = await make_voucher(db, host, "TABLE10")

    row = await book_slot(
        db, guest, table, berlin(2031, 6, 6, 19), adults=3, children=1, voucher_code="table10",
        now=NOW,
    )  # fmt: skip

    # 50.00 - 10 % = 45.00; 19 % of it is 8.55; 1.00 for each of 4 persons.
    assert await stored(db, row.id) == (Decimal("57.55"), Decimal("12.55"), voucher.id)
    assert row.party_size == 4
    assert lines(row.price_snapshot) == [
        lines(row.price_snapshot)[0],
        ("DISCOUNT", "Voucher TABLE10 (10%)", 1, "-5.00", False),
        ("TAX", "VAT (19%)", 1, "8.55", False),
        ("TAX", "Service (4 person(s))", 4, "4.00", False),
    ]
    assert row.price_snapshot["voucher"]["code"] == "TABLE10"


async def test_the_hosts_walk_in_booking_is_taxed_and_takes_a_voucher(db, host):
    table = await restaurant(db, host)
    await set_taxes(db, host, table, VAT_ADDED, SERVICE)
    await make_voucher(db, host, "FIVE", VoucherKind.FIXED, "5")

    row = await book_slot(
        db, host, table, berlin(2031, 6, 6, 19), party_size=2, guest_name="Walk In",
        by_host=True, voucher_code="FIVE", now=NOW,
    )  # fmt: skip

    assert row.status.value == "CONFIRMED"
    # 45.00 after 5 off; 8.55 VAT; 2 x 1.00 service.
    assert (await stored(db, row.id))[:2] == (Decimal("55.55"), Decimal("10.55"))


async def test_voucher_refusals_on_slots_are_typed_and_leave_nothing(db, host, guest):
    space = await make_slot_listing(db, host, **MANY_HOLDS)
    other = await make_slot_listing(db, host, **MANY_HOLDS)
    await make_voucher(db, host, "ONCE", usage_limit=1)
    await make_voucher(db, host, "ELSEWHERE", listing_ids=[other])
    at = berlin(2031, 6, 6, 10)

    unknown = await refused(db, guest, space, at, voucher_code="NOPE")
    elsewhere = await refused(db, guest, space, at, voucher_code="ELSEWHERE")
    assert (unknown.code, unknown.field) == (ErrorCode.VOUCHER_INVALID, ("voucherCode",))
    assert (elsewhere.code, elsewhere.field) == (
        ErrorCode.VOUCHER_NOT_APPLICABLE,
        ("voucherCode",),
    )
    assert await reservation_count(db) == 0

    first = await book_slot(db, guest, space, at, voucher_code="once", now=NOW)
    used_up = await refused(db, guest, space, at + timedelta(hours=1), voucher_code="ONCE")
    assert first.total_amount == Decimal("27.00")
    assert used_up.code is ErrorCode.VOUCHER_EXHAUSTED
    assert await reservation_count(db) == 1


async def test_guests_on_a_slot_agree_with_the_party_and_fit_the_units(db, host, guest):
    space = await make_slot_listing(db, host, units=2, max_guests=2, **MANY_HOLDS)
    table = await restaurant(db, host)
    at, dinner = berlin(2031, 6, 6, 10), berlin(2031, 6, 6, 19)

    mismatch = await refused(db, guest, space, at, adults=2, children=1, party_size=2)
    too_many = await refused(db, guest, space, at, adults=2, children=1)
    children_alone = await refused(db, guest, space, at, children=1)
    assert (mismatch.code, mismatch.field) == (ErrorCode.INVALID_INPUT, ("partySize",))
    assert (too_many.code, too_many.field) == (ErrorCode.TOO_MANY_GUESTS, ("adults",))
    assert (children_alone.code, children_alone.field) == (ErrorCode.INVALID_INPUT, ("adults",))
    assert await reservation_count(db) == 0

    two_rooms = await book_slot(db, guest, space, at, adults=2, children=1, quantity=2, now=NOW)
    agreed = await book_slot(db, guest, table, dinner, adults=2, children=1, party_size=3, now=NOW)
    # A restaurant's party from adults + children alone; its table seats it.
    derived = await book_slot(db, guest, table, dinner, adults=5, now=NOW)
    assert (two_rooms.adults, two_rooms.children, two_rooms.party_size) == (2, 1, 3)
    assert agreed.party_size == 3
    assert (derived.adults, derived.party_size) == (5, 5)
    too_big = await refused(db, guest, table, dinner, adults=5, children=2)
    assert (too_big.code, too_big.field) == (ErrorCode.INVALID_INPUT, ("partySize",))


BOOK_SLOT = """mutation($input: BookSlotInput!) {
  bookSlot(input: $input) {
    reservation { status adults children partySize totalPrice { amount }
                  price { taxTotal { amount } voucherCode lineItems { kind amount { amount } } } }
    manageToken errors { code field }
  }
}"""


async def test_a_guest_without_an_account_books_a_slot_with_guests_and_a_voucher(client, db, host):
    space = await make_slot_listing(db, host, max_guests=4)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET allow_guest_checkout = true WHERE id = :id"), {"id": space}
        )
    await set_taxes(db, host, space, VAT_ADDED, CITY)
    await make_voucher(db, host, "HALF", value="50")
    starts_at = datetime.combine(in_days(7, "Europe/Berlin"), time(10), ZoneInfo("Europe/Berlin"))
    walk_in = {
        "listingId": str(space),
        "startsAt": starts_at.isoformat(),
        "guestName": "Sam Slot",
        "guestEmail": "sam@example.com",
        "adults": 1,
        "children": 1,
        "voucherCode": "half",
    }

    payload = (await client(BOOK_SLOT, {"input": walk_in})).data["bookSlot"]

    assert payload["errors"] == [] and payload["manageToken"]
    # 30.00 - 50 % = 15.00; 19 % VAT 2.85; 2 x 2.50 city tax.
    assert payload["reservation"] == {
        "status": "PENDING",
        "adults": 1,
        "children": 1,
        "partySize": 2,
        "totalPrice": {"amount": "22.85"},
        "price": {
            "taxTotal": {"amount": "7.85"},
            "voucherCode": "HALF",
            "lineItems": [
                {"kind": "SLOT", "amount": {"amount": "30.00"}},
                {"kind": "DISCOUNT", "amount": {"amount": "-15.00"}},
                {"kind": "TAX", "amount": {"amount": "2.85"}},
                {"kind": "TAX", "amount": {"amount": "5.00"}},
            ],
        },
    }
    mismatch = await client(BOOK_SLOT, {"input": walk_in | {"partySize": 3}})
    assert mismatch.data["bookSlot"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["input", "partySize"]}
    ]


REPORT = """
query($id: ID!, $start: Date!, $end: Date!) {
  report(listingId: $id, startDate: $start, endDate: $end) {
    listings { revenue { amount } taxCollected { amount } netRevenue { amount } }
  }
}"""


async def test_reports_and_emails_show_a_slots_taxes(client, db, host, host_token):
    space = await make_slot_listing(db, host, max_guests=4, **MANY_HOLDS)
    await set_taxes(db, host, space, VAT_INCLUDED, CITY)
    at = berlin(2031, 6, 6, 10)
    row = await book_slot(
        db, host, space, at, at + timedelta(hours=2), adults=2, children=1, by_host=True,
        guest_name="Walk In", now=NOW,
    )  # fmt: skip

    day = {"id": str(space), "start": "2031-06-06", "end": "2031-06-07"}
    report = (await client(REPORT, day, token=host_token)).data["report"]
    assert report["listings"] == [
        {
            "revenue": {"amount": "67.50"},
            "taxCollected": {"amount": "11.43"},
            "netRevenue": {"amount": "56.07"},
        }
    ]

    async with db.read() as session:
        outbox_id = (
            await session.execute(
                select(OutboxMessage.id).where(OutboxMessage.reservation_id == row.id)
            )
        ).scalar_one()
        notices = await notices_for(session, outbox_id)
    assert notices
    for notice in notices:
        body = compose(notice, sender=SENDER, public_url=PUBLIC_URL)
        plain = body.get_body(("plain",)).get_content()
        assert "VAT (7%) included" in plain and "3.93" in plain
        assert "City (3 person(s))" in plain and "7.50" in plain
        assert "67.50" in plain


async def test_a_retry_with_its_key_replays_without_a_second_voucher_use(db, host, guest):
    space = await make_slot_listing(db, host, **MANY_HOLDS)
    await make_voucher(db, host, "ONCE", usage_limit=1)
    at = berlin(2031, 6, 6, 10)

    async def attempt(**fields):
        data = NewSlotBooking(space, at, voucher_code="ONCE", **fields)
        async with db.transaction() as session:
            return await slot_service.book_slot(
                session=session, guest=guest, data=data, idempotency_key="k1", now=NOW
            )

    first = await attempt(adults=1)
    again = await attempt(adults=1)
    with pytest.raises(DomainError) as other_guests:
        await attempt(adults=2)

    assert again.id == first.id and again.total_amount == Decimal("27.00")
    assert other_guests.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert await reservation_count(db) == 1
