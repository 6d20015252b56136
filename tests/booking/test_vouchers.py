"""Vouchers: a host's codes, their discount as a line item, their limits, dates and uses."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from bookwell.cli.seed import DEMO_EMAIL, seed
from bookwell.core.errors import DomainError, ErrorCode
from bookwell.core.ids import global_id
from bookwell.flows import booking as booking_flows
from bookwell.models import VoucherKind
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.vouchers import vouchers as voucher_service
from bookwell.services.vouchers.vouchers import NewVoucher
from tests.booking.voucher_support import create_voucher, set_cleaning_fee
from tests.factories import (
    MANY_HOLDS,
    in_days,
    make_listing,
    make_token,
    make_user,
    set_status,
    try_book_over_graphql,
)
from tests.support.guest_checkout import checkout, checkout_listing, try_checkout

FIELDS = (
    "id totalPrice { amount } "
    "price { voucherCode total { amount } lineItems { kind description amount { amount } } }"
)

QUOTE = """
query($id: ID!, $start: Date!, $code: String) {
  listing(id: $id) { quote(startDate: $start, nights: 2, voucherCode: $code) {
    total { amount } voucherCode lineItems { kind amount { amount } } } }
}"""

UPDATE = """
mutation($id: ID!, $input: UpdateVoucherInput!) {
  updateVoucher(id: $id, input: $input) {
    voucher { active timesUsed } errors { code field message } }
}"""

LIST = """query($listingId: ID) { vouchers(listingId: $listingId) { code timesUsed } }"""


def codes(payload) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def test_a_percentage_voucher_is_a_discount_line_in_quote_and_booking(
    client, db, host, host_token, guest_token
):
    listing_id = await make_listing(db, host)
    await set_cleaning_fee(db, listing_id, "20.00")
    created = await create_voucher(client, host_token, code="Summer10")
    assert created["errors"] == []
    start = in_days(15).isoformat()

    quoted = await client(QUOTE, {"id": str(listing_id), "start": start, "code": "summer10"})
    quote = quoted.data["listing"]["quote"]
    assert quote["voucherCode"] == "Summer10"
    assert [(i["kind"], i["amount"]["amount"]) for i in quote["lineItems"]] == [
        ("NIGHTS", "200.00"),
        ("CLEANING_FEE", "20.00"),
        ("DISCOUNT", "-20.00"),  # 10 % of the nights, never of the fees
    ]
    assert quote["total"] == {"amount": "200.00"}

    booked = await try_book_over_graphql(
        client, guest_token, listing_id, start, 2, fields=FIELDS, voucherCode="SUMMER10"
    )
    assert booked["errors"] == []
    assert booked["reservation"]["totalPrice"] == {"amount": "200.00"}
    lines = booked["reservation"]["price"]["lineItems"]
    assert lines[-1] == {
        "kind": "DISCOUNT",
        "description": "Voucher Summer10 (10%)",
        "amount": {"amount": "-20.00"},
    }
    listed = await client(LIST, {}, token=host_token)
    assert listed.data["vouchers"] == [{"code": "Summer10", "timesUsed": 1}]


async def test_a_fixed_voucher_never_takes_more_than_the_nights(
    client, db, host, host_token, guest_token
):
    listing_id = await make_listing(db, host, nightly_price="40.00")
    await set_cleaning_fee(db, listing_id, "15.00")
    await create_voucher(client, host_token, code="BIG", kind="FIXED", value="500")
    booked = await try_book_over_graphql(
        client, guest_token, listing_id, in_days(9), 2, fields=FIELDS, voucherCode="BIG"
    )
    assert booked["reservation"]["totalPrice"] == {"amount": "15.00"}  # the fee is still due


async def test_unknown_inactive_outside_dates_and_other_listing_codes_are_refused(
    client, db, host, host_token, guest_token
):
    listing_id = await make_listing(db, host)
    other_listing = await make_listing(db, host)
    now = datetime.now(UTC)
    await create_voucher(
        client, host_token, code="LATER", validFrom=(now + timedelta(days=1)).isoformat()
    )
    await create_voucher(
        client,
        host_token,
        code="OVER",
        validUntil=(now - timedelta(days=1)).isoformat(),
        validFrom=(now - timedelta(days=9)).isoformat(),
    )
    only_other = await create_voucher(
        client, host_token, code="OTHER", listingIds=[global_id("Listing", other_listing)]
    )
    assert only_other["errors"] == []
    off = await create_voucher(client, host_token, code="OFF")
    answer = await client(
        UPDATE, {"id": off["voucher"]["id"], "input": {"active": False}}, token=host_token
    )
    assert answer.data["updateVoucher"]["voucher"]["active"] is False

    expected = {
        "NOPE": "VOUCHER_INVALID",
        "LATER": "VOUCHER_INVALID",
        "OVER": "VOUCHER_INVALID",
        "OFF": "VOUCHER_INVALID",
        "OTHER": "VOUCHER_NOT_APPLICABLE",
    }
    for code, error in expected.items():
        refused = await try_book_over_graphql(
            client, guest_token, listing_id, in_days(5), 1, voucherCode=code
        )
        assert (refused["reservation"], codes(refused)) == (None, [error]), code
        assert refused["errors"][0]["field"] == ["input", "voucherCode"]
        quoted = await client(
            QUOTE, {"id": str(listing_id), "start": in_days(5).isoformat(), "code": code}
        )
        assert quoted.errors[0]["extensions"]["code"] == error
    # The other listing takes it.
    fine = await try_book_over_graphql(
        client, guest_token, other_listing, in_days(5), 1, voucherCode="OTHER"
    )
    assert fine["errors"] == []


async def test_a_used_up_code_is_refused_and_a_cancellation_gives_its_use_back(
    client, db, host, host_token
):
    listing_id = await make_listing(db, host, units=5, **MANY_HOLDS)
    await create_voucher(client, host_token, code="ONCE", usageLimit=1)
    first, second = [await make_token(db, await make_user(db)) for _ in range(2)]
    booked = await try_book_over_graphql(
        client, first, listing_id, in_days(7), 1, voucherCode="ONCE"
    )
    assert booked["errors"] == []
    refused = await try_book_over_graphql(
        client, second, listing_id, in_days(7), 1, voucherCode="ONCE"
    )
    assert codes(refused) == ["VOUCHER_EXHAUSTED"]

    cancel = "mutation($id: ID!) { cancelReservation(id: $id) { errors { code } } }"
    answer = await client(cancel, {"id": booked["reservation"]["id"]}, token=first)
    assert answer.data["cancelReservation"]["errors"] == []
    again = await try_book_over_graphql(
        client, second, listing_id, in_days(7), 1, voucherCode="ONCE"
    )
    assert again["errors"] == []


async def test_an_expired_hold_gives_its_use_back_and_a_refused_booking_takes_none(db, host, guest):
    listing_id = await make_listing(db, host, units=1, **MANY_HOLDS)
    async with db.transaction() as session:
        new = NewVoucher("ONCE", VoucherKind.PERCENT, Decimal("5"), usage_limit=1)
        await voucher_service.create_voucher(session=session, principal=host, new=new)
    with_code = NewReservation(listing_id, in_days(3), nights=1, voucher_code="once")
    held = await booking_flows.book(db, guest=guest, data=with_code)
    await set_status(db, held.id, "EXPIRED")
    again = await booking_flows.book(db, guest=await make_user(db), data=with_code)
    assert again.total_amount == Decimal("95.00")

    # The unit taken without the code, a booking with it is refused after taking its use
    # (UNAVAILABLE): its transaction rolls back, and so does the use.
    await set_status(db, again.id, "CANCELLED")
    plain = NewReservation(listing_id, in_days(3), nights=1)
    blocker = await booking_flows.book(db, guest=await make_user(db), data=plain)
    with pytest.raises(DomainError) as refused:
        await booking_flows.book(db, guest=await make_user(db), data=with_code)
    assert refused.value.code is ErrorCode.UNAVAILABLE
    await set_status(db, blocker.id, "CANCELLED")
    last = await booking_flows.book(db, guest=await make_user(db), data=with_code)
    assert last.total_amount == Decimal("95.00")


async def test_a_change_of_dates_keeps_the_discount(client, db, host, host_token, guest_token):
    listing_id = await make_listing(db, host)
    await create_voucher(client, host_token, code="KEEP", kind="FIXED", value="30")
    booked = await try_book_over_graphql(
        client, guest_token, listing_id, in_days(20), 2, fields=FIELDS, voucherCode="KEEP"
    )
    change = """
    mutation($input: ChangeReservationDatesInput!) { changeReservationDates(input: $input) {
      reservation { totalPrice { amount } price { voucherCode } } errors { code } } }"""
    moved = await client(
        change,
        {
            "input": {
                "id": booked["reservation"]["id"],
                "startDate": in_days(30).isoformat(),
                "nights": 3,
            }
        },
        token=guest_token,
    )
    payload = moved.data["changeReservationDates"]
    assert payload["errors"] == []
    assert payload["reservation"]["totalPrice"] == {"amount": "270.00"}
    assert payload["reservation"]["price"]["voucherCode"] == "KEEP"


async def test_only_hosts_create_vouchers_and_mistakes_come_together(
    client, db, host, host_token, guest_token
):
    refused = await create_voucher(client, guest_token)
    assert codes(refused) == ["FORBIDDEN"]
    bad = await create_voucher(
        client, host_token, code="x", kind="PERCENT", value="120", usageLimit=0
    )
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("INVALID_INPUT", ["input", "code"]),
        ("INVALID_INPUT", ["input", "value"]),
        ("INVALID_INPUT", ["input", "usageLimit"]),
    ]
    huge = await create_voucher(client, host_token, code="HUGE", kind="FIXED", value="1e12")
    assert [(e["code"], e["field"]) for e in huge["errors"]] == [
        ("INVALID_INPUT", ["input", "value"])
    ]
    await create_voucher(client, host_token, code="DUP")
    again = await create_voucher(client, host_token, code="dup")
    assert codes(again) == ["ALREADY_EXISTS"]


async def test_a_guest_without_an_account_applies_a_voucher_too(client, db, host, host_token):
    listing_id = await checkout_listing(db, host)
    await create_voucher(client, host_token, code="WALKIN", kind="FIXED", value="25")
    booked = await checkout(client, listing_id, voucherCode="walkin")
    read = await client(
        "query($id: ID!) { reservation(id: $id) { totalPrice { amount } price { voucherCode } } }",
        {"id": booked["reservation"]["id"]},
        token=booked["manageToken"],
    )
    assert read.data["reservation"] == {
        "totalPrice": {"amount": "175.00"},
        "price": {"voucherCode": "WALKIN"},
    }
    refused = await try_checkout(client, listing_id, "other@example.com", voucherCode="NOPE")
    assert codes(refused.data["createReservation"]) == ["VOUCHER_INVALID"]


async def test_the_demo_host_has_a_taxed_stay_and_a_voucher(db):
    await seed(db, reservations_count=10)
    async with db.read() as session:
        found = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM listing_taxes t JOIN listings l "
                    "ON l.id = t.listing_id JOIN users u ON u.id = l.owner_id "
                    "WHERE u.email = :email), "
                    "(SELECT count(*) FROM vouchers v JOIN users u ON u.id = v.owner_id "
                    "WHERE u.email = :email AND v.code = 'DEMO10')"
                ),
                {"email": DEMO_EMAIL},
            )
        ).one()
    assert tuple(found) == (3, 1)  # the stay's two taxes and the restaurant's VAT


async def test_a_voucher_cannot_end_before_it_starts(client, host_token):
    created = await create_voucher(
        client, host_token, code="SPRING", validFrom="2031-03-01T00:00:00+00:00"
    )
    answer = await client(
        UPDATE,
        {"id": created["voucher"]["id"], "input": {"validUntil": "2031-02-01T00:00:00+00:00"}},
        token=host_token,
    )
    errors = answer.data["updateVoucher"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_DATES", ["input", "validUntil"])]
