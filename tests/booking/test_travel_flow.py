"""The travel site's whole flow through the API: Pending -> Paid -> Confirmed -> Active ->
Completed -> reviewed, and Pending -> Paid -> Cancelled with the refund the policy gives."""

from datetime import timedelta

from sqlalchemy import text

from bookwell.services.listings.stays import today_in
from tests.factories import book_over_graphql, make_listing
from tests.support.graphql_client import database_id

PAY = """
mutation($id: ID!, $key: String!) {
  payReservation(id: $id, idempotencyKey: $key) {
    reservation { status expiresAt payment { status } } errors { code }
  }
}"""


def act(name: str, extra: str = "") -> str:
    return (
        f"mutation($id: ID!) {{ {name}(id: $id{extra}) {{ reservation {{ status "
        "payment { status refundedAmount { amount } } } errors { code message } } }"
    )


async def book_and_pay(client, listing_id, start, guest_token) -> str:
    reservation = await book_over_graphql(client, guest_token, listing_id, start)
    assert reservation["status"] == "PENDING" and reservation["expiresAt"]
    return reservation["id"]


async def test_stay_from_hold_to_review(client, db, host, host_token, guest_token):
    listing_id = await make_listing(db, host, nightly_price="80")
    async with db.transaction() as session:
        await session.execute(text("UPDATE listings SET instant_book = false"))
    start = today_in("UTC") + timedelta(days=3)
    reservation_id = await book_and_pay(client, listing_id, start, guest_token)

    paid = await client(PAY, {"id": reservation_id, "key": "pay-1"}, token=guest_token)
    # Without instant booking the host decides; the hold now lasts the approval window.
    assert paid.data["payReservation"]["reservation"]["status"] == "PENDING"
    assert paid.data["payReservation"]["reservation"]["payment"] == {"status": "PAID"}

    too_early = await client(act("checkIn"), {"id": reservation_id}, token=host_token)
    assert too_early.data["checkIn"]["errors"][0]["code"] == "INVALID_STATE"
    confirmed = await client(act("confirmReservation"), {"id": reservation_id}, token=host_token)
    assert confirmed.data["confirmReservation"]["reservation"]["status"] == "CONFIRMED"

    async with db.transaction() as session:  # the stay begins today
        await session.execute(
            text("UPDATE reservations SET start_date = :d, end_date = :e WHERE id = :id"),
            {
                "d": today_in("UTC"),
                "e": today_in("UTC") + timedelta(days=2),
                "id": database_id(reservation_id),
            },
        )
    arrived = await client(act("checkIn"), {"id": reservation_id}, token=host_token)
    assert arrived.data["checkIn"]["reservation"]["status"] == "ACTIVE"
    gone = await client(act("checkOut"), {"id": reservation_id}, token=host_token)
    assert gone.data["checkOut"]["reservation"]["status"] == "COMPLETED"

    reviewed = await client(
        "mutation($id: ID!) { createReview(input: {reservationId: $id, rating: 5, "
        'comment: "Lovely"}) { review { rating } errors { code } } }',
        {"id": reservation_id},
        token=guest_token,
    )
    assert reviewed.data["createReview"] == {"review": {"rating": 5}, "errors": []}
    rating = await client(
        "query($id: ID!) { listing(id: $id) { rating { average count } } }",
        {"id": str(listing_id)},
    )
    assert rating.data["listing"]["rating"] == {"average": 5.0, "count": 1}


async def test_late_cancellation_refunds_by_the_agreed_policy(client, db, host, guest_token):
    listing_id = await make_listing(db, host, nightly_price="100")
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET free_cancellation_days = 7, late_refund_percent = 25")
        )
    start = today_in("UTC") + timedelta(days=3)  # inside the 7 days: a late cancellation
    reservation_id = await book_and_pay(client, listing_id, start, guest_token)
    paid = await client(PAY, {"id": reservation_id, "key": "pay-1"}, token=guest_token)
    assert paid.data["payReservation"]["reservation"]["status"] == "CONFIRMED"

    cancelled = await client(
        act("cancelReservation", ', reason: "Plans changed"'),
        {"id": reservation_id},
        token=guest_token,
    )
    assert cancelled.data["cancelReservation"]["reservation"] == {
        "status": "CANCELLED",
        "payment": {"status": "PARTIALLY_REFUNDED", "refundedAmount": {"amount": "50.00"}},
    }
    reason = await client(
        "query($id: ID!) { reservation(id: $id) { cancelReason } }",
        {"id": reservation_id},
        token=guest_token,
    )
    assert reason.data["reservation"] == {"cancelReason": "Plans changed"}
