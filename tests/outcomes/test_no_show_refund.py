"""The no-show line of the cancellation policy: `noShowRefundPercent` (0 by default) set by
the host with the other terms, kept in each booking's price snapshot, and what a no-show
gets back (services/payments/no_show.py); the no-show email says the same."""

import uuid
from datetime import timedelta
from decimal import Decimal

from bookwell.core.ids import global_id
from bookwell.mail.render import render
from tests.factories import book_over_graphql
from tests.notifications.notices import PUBLIC_URL, notice
from tests.support.stay_clock import AUCKLAND, local_now, move, stay_listing

TERMS = """mutation($id: ID!, $input: ListingTermsInput!) {
  updateListingTerms(listingId: $id, input: $input) {
    listing { cancellationPolicy { freeCancellationDays lateRefundPercent noShowRefundPercent } }
    errors { code field }
  }
}"""
PAY = """mutation($id: ID!) { payReservation(id: $id, idempotencyKey: "pay") {
  reservation { status price { total { amount } cancellationPolicy { noShowRefundPercent } } }
  errors { code } } }"""
REPORT = """query($id: ID!, $start: Date!, $end: Date!) {
  report(listingId: $id, startDate: $start, endDate: $end) {
    listings { noShows noShowRevenue { amount } } } }"""
MARK = """mutation($id: ID!) { markNoShow(id: $id) {
  reservation { status payment { status refundedAmount { amount } } }
  errors { code field message } } }"""


async def set_terms(client, token, listing_id, **terms) -> dict:
    answer = await client(TERMS, {"id": str(listing_id), "input": terms}, token=token)
    return answer.data["updateListingTerms"]


async def test_a_host_sets_the_no_show_refund_and_bookings_keep_theirs(
    client, db, host, host_token, guest_token
):
    began = local_now(AUCKLAND) - timedelta(hours=3)
    start, end = began.date(), began.date() + timedelta(days=3)
    listing_id = await stay_listing(db, host, AUCKLAND, units=1, check_in=began.time())
    default = await set_terms(client, host_token, listing_id, freeCancellationDays=2)
    assert default["listing"]["cancellationPolicy"] == {
        "freeCancellationDays": 2,
        "lateRefundPercent": 50,
        "noShowRefundPercent": 0,
    }
    bad = await set_terms(client, host_token, listing_id, noShowRefundPercent=101)
    assert bad["errors"] == [{"code": "INVALID_INPUT", "field": ["input", "noShowRefundPercent"]}]
    set_ = await set_terms(client, host_token, listing_id, noShowRefundPercent=25)
    assert set_["listing"]["cancellationPolicy"]["noShowRefundPercent"] == 25

    later = local_now("UTC").date() + timedelta(days=200)
    booked = await book_over_graphql(client, guest_token, listing_id, later)
    paid = (await client(PAY, {"id": booked["id"]}, token=guest_token)).data["payReservation"]
    assert paid["reservation"]["status"] == "CONFIRMED"
    assert paid["reservation"]["price"]["cancellationPolicy"] == {"noShowRefundPercent": 25}
    total = Decimal(paid["reservation"]["price"]["total"]["amount"])
    # A change of terms afterwards is not what this booking agreed to.
    await set_terms(client, host_token, listing_id, noShowRefundPercent=80)
    stay_id = uuid.UUID(booked["databaseId"])
    await move(db, stay_id, "CONFIRMED", start=start, end=end)

    answer = await client(MARK, {"id": global_id("Reservation", stay_id)}, token=host_token)
    payload = answer.data["markNoShow"]
    assert payload["errors"] == []
    assert payload["reservation"]["status"] == "NO_SHOW"
    refunded = (total * Decimal("0.25")).quantize(Decimal("0.01"))
    assert refunded > 0
    assert payload["reservation"]["payment"] == {
        "status": "PARTIALLY_REFUNDED",
        "refundedAmount": {"amount": str(refunded)},
    }
    # The host's report counts what the no-show kept: the price less the share given back.
    report = await client(
        REPORT,
        {"id": str(listing_id), "start": start.isoformat(), "end": end.isoformat()},
        token=host_token,
    )
    [row] = report.data["report"]["listings"]
    assert row["noShows"] == 1
    assert Decimal(row["noShowRevenue"]["amount"]) == total - refunded


def test_the_no_show_email_says_what_the_policy_gives_back():
    kept = render(notice("reservation.no_show"), public_url=PUBLIC_URL).text
    assert "a no-show is not refunded.\n\nIf you did arrive" in kept  # its own paragraph
    share = notice("reservation.no_show", no_show_refund_percent=25, refunded=Decimal("90"))
    text = render(share, public_url=PUBLIC_URL).text
    assert "a no-show gets 25% of the price back: you were refunded 90.00 EUR.\n\n" in text
    assert "not refunded" not in text
    host = render(
        notice("reservation.no_show", "host", no_show_refund_percent=25), public_url=PUBLIC_URL
    ).text
    assert "the guest gets 25% of the price back and the rest of the payment is kept" in host
    assert (
        "the payment is kept"
        in render(notice("reservation.no_show", "host"), public_url=PUBLIC_URL).text
    )
