"""An attacker pays a Stripe PaymentIntent that does not match what the booking costs.

The attack: book 3 nights (360.00 EUR), `payReservation` (a PaymentIntent for 360.00), move
the hold to 10 nights (re-priced to 1200.00), then confirm the old intent in the browser:
the webhook recorded 360.00 and CONFIRMED a 1200.00 booking. Its variants: a quantity
change, an intent in another currency, a partial `amount_received`, an intent whose metadata
names another reservation, and the same events replayed or out of order.

The defence: dates and quantity cannot change while a payment awaits confirmation, and the
webhook confirms a booking only when the intent's amount received and currency are exactly
the reservation's total; anything else is given back and the hold stays unpaid.
"""

import json
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text

from tests.factories import book_over_graphql, make_listing
from tests.payments import test_stripe as stripe_tests
from tests.payments.payment_calls import show
from tests.payments.test_stripe import deliver, event_payload, recorded, stripe_hold

# Stripe's fixtures: the app with a recorded Stripe behind it, and a client of it.
recorded_stripe = stripe_tests.recorded_stripe
stripe_app = stripe_tests.stripe_app
http = stripe_tests.http

CHANGE = """
mutation($input: ChangeReservationDatesInput!) {
  changeReservationDates(input: $input) {
    reservation { status nights quantity totalPrice { amount } }
    errors { code field message }
  }
}"""


def refunds_sent(recorded_stripe) -> list[list[str]]:
    _, sent = recorded_stripe
    return [request.form["amount"] for request in sent.sent if request.path == "/v1/refunds"]


async def set_total(db, reservation_id: str, total: str) -> None:
    """The reservation now costs `total`, as a change made before the intent was settled
    (or any other way the two could drift apart) would leave it."""
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET total_amount = :total WHERE id = :id"),
            {"total": Decimal(total), "id": reservation_id},
        )


async def payment_row(db, reservation_id: str):
    async with db.read() as session:
        query = text("SELECT status, amount FROM payments WHERE reservation_id = :id")
        return (await session.execute(query, {"id": reservation_id})).one_or_none()


async def test_dates_and_quantity_cannot_change_while_a_payment_awaits_confirmation(
    http, db, host, guest_token
):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    start = (date.today() + timedelta(days=30)).isoformat()
    for change in ({"nights": 10}, {"nights": 3, "quantity": 1}, {"nights": 2}):
        answer = await client(
            CHANGE,
            {"input": {"id": reservation["id"], "startDate": start, **change}},
            token=guest_token,
        )
        payload = answer.data["changeReservationDates"]
        assert [error["code"] for error in payload["errors"]] == ["INVALID_STATE"], payload
        assert "awaiting" in payload["errors"][0]["message"]
    seen = await show(client, guest_token, reservation["id"])
    assert seen["status"] == "PENDING"
    # The booking still costs what the intent charges: confirming it now is safe.
    payload = event_payload("payment_intent.succeeded.json", reservation["databaseId"])
    assert (await deliver(http, payload)).json()["outcome"] == "paid"


async def test_an_intent_for_an_older_total_does_not_confirm_the_booking(
    http, db, host, guest_token, recorded_stripe
):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    await set_total(db, reservation["databaseId"], "1200.00")
    payload = event_payload("payment_intent.succeeded.json", reservation["databaseId"])

    answer = await deliver(http, payload)
    assert (answer.status_code, answer.json()["outcome"]) == (200, "refunded")
    seen = await show(client, guest_token, reservation["id"])
    assert seen["status"] == "PENDING"
    assert seen["payment"]["status"] == "FAILED"
    assert "1200.00" in seen["payment"]["failureMessage"]
    assert refunds_sent(recorded_stripe) == [["36000"]]

    # Replayed, or followed by a late failure event: it is given back once (one idempotency
    # key, which Stripe answers with the first refund) and the hold stays unpaid.
    await deliver(http, payload)
    failed = event_payload("payment_intent.payment_failed.json", reservation["databaseId"])
    assert (await deliver(http, failed)).json()["outcome"] == "unchanged"
    _, sent = recorded_stripe
    keys = {r.headers["Idempotency-Key"] for r in sent.sent if r.path == "/v1/refunds"}
    assert len(keys) == 1
    assert (await show(client, guest_token, reservation["id"]))["payment"]["status"] == "FAILED"
    assert (await show(client, guest_token, reservation["id"]))["status"] == "PENDING"


async def test_an_intent_in_another_currency_does_not_confirm_the_booking(
    http, db, host, guest_token, recorded_stripe
):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    payload = event_payload(
        "payment_intent.succeeded.json", reservation["databaseId"], currency="usd"
    )
    assert (await deliver(http, payload)).json()["outcome"] == "refunded"
    seen = await show(client, guest_token, reservation["id"])
    assert (seen["status"], seen["payment"]["status"]) == ("PENDING", "FAILED")
    assert refunds_sent(recorded_stripe) == [["36000"]]


async def test_a_partly_received_amount_does_not_confirm_the_booking(
    http, db, host, guest_token, recorded_stripe
):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    for received in (18000, 0):
        payload = event_payload(
            "payment_intent.succeeded.json", reservation["databaseId"], amount_received=received
        )
        await deliver(http, payload)
        seen = await show(client, guest_token, reservation["id"])
        assert seen["status"] == "PENDING"
        assert seen["payment"]["status"] != "PAID"
    assert ["18000"] in refunds_sent(recorded_stripe)


async def test_an_intent_naming_another_reservation_confirms_neither(
    http, db, host, guest_token, recorded_stripe
):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    listing = await make_listing(db, host, nightly_price="400.00", currency="EUR")
    other = await book_over_graphql(
        client, guest_token, listing, date.today() + timedelta(days=60), 3
    )
    # The intent recorded for the first hold, its metadata naming the second (1200.00).
    payload = event_payload("payment_intent.succeeded.json", other["databaseId"])
    assert (await deliver(http, payload)).json()["outcome"] == "refunded"
    for each in (reservation, other):
        seen = await show(client, guest_token, each["id"])
        assert seen["status"] == "PENDING"
        assert (seen["payment"] or {}).get("status") != "PAID"

    # An intent we never recorded, naming the second hold, for the first one's price.
    event = json.loads(payload)
    event["data"]["object"]["id"] = "pi_someone_elses"
    unrecorded = json.dumps(event).encode()
    assert (await deliver(http, unrecorded)).json()["outcome"] == "refunded"
    assert (await show(client, guest_token, other["id"]))["status"] == "PENDING"
    assert await payment_row(db, other["databaseId"]) is None


async def test_a_late_intent_after_another_paid_is_given_back_in_its_own_currency(
    http, db, host, guest_token, recorded_stripe
):
    client, reservation = await stripe_hold(http, db, host, guest_token)
    paid = event_payload("payment_intent.succeeded.json", reservation["databaseId"])
    assert (await deliver(http, paid)).json()["outcome"] == "paid"
    event = json.loads(paid)
    event["data"]["object"].update(id="pi_second_attempt", currency="usd", amount_received=5000)
    second = json.dumps(event).encode()
    assert (await deliver(http, second)).json()["outcome"] == "refunded"
    _, sent = recorded_stripe
    [refund] = [request for request in sent.sent if request.path == "/v1/refunds"]
    assert refund.form["amount"] == ["5000"]
    assert refund.form["payment_intent"] == ["pi_second_attempt"]
    seen = await show(client, guest_token, reservation["id"])
    assert (seen["status"], seen["payment"]["status"]) == ("CONFIRMED", "PAID")


async def test_a_refund_event_for_another_intent_changes_nothing(http, db, host, guest_token):
    _, reservation = await stripe_hold(http, db, host, guest_token)
    await deliver(http, event_payload("payment_intent.succeeded.json", reservation["databaseId"]))
    refund = json.loads(recorded("charge.refunded.json"))
    refund["data"]["object"]["metadata"]["reservation_id"] = reservation["databaseId"]
    refund["data"]["object"]["payment_intent"] = "pi_not_this_payment"
    answer = await deliver(http, json.dumps(refund).encode())
    assert answer.json()["outcome"] in ("ignored", "unchanged")
    assert (await payment_row(db, reservation["databaseId"])).status == "PAID"
