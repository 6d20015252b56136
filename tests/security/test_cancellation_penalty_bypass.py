"""A guest escapes the late-cancellation penalty by changing dates first.

The attacks: a paid booking inside its penalty window is moved to next year at the same
price and then cancelled, for a full refund where the policy gives 0; or the stay is
shortened just before check-in, and the removed nights come back in full.

The defence: refunds follow the policy against the booking as first agreed. The penalty
window counts from the earliest start the guest ever agreed to (kept in the price snapshot's
policy), and a change inside it that gives up nights keeps the policy's share of them (a
LATE_CHANGE_FEE line of the new price), exactly as cancelling them would.
"""

from decimal import Decimal

from tests.factories import book_over_graphql, in_days, make_listing

TERMS = """
mutation($id: ID!, $input: ListingTermsInput!) {
  updateListingTerms(listingId: $id, input: $input) { errors { code field message } }
}"""

RESERVATION = """
  id status startDate endDate quantity
  price { total { amount } lineItems { kind amount { amount } }
          cancellationPolicy { freeCancellationDays lateRefundPercent } }
  payment { status amount { amount } refundedAmount { amount } }
"""
PAY = (
    'mutation($id: ID!) { payReservation(id: $id, idempotencyKey: "pay") { '
    f"reservation {{ {RESERVATION} }} errors {{ code message }} }} }}"
)
CHANGE = (
    "mutation($input: ChangeReservationDatesInput!) { changeReservationDates(input: $input) { "
    f"reservation {{ {RESERVATION} }} errors {{ code field message }} }} }}"
)
CANCEL = (
    "mutation($id: ID!) { cancelReservation(id: $id) { "
    f"reservation {{ {RESERVATION} }} errors {{ code message }} }} }}"
)


async def payload(client, query: str, variables: dict, token: str) -> dict:
    answer = await client(query, variables, token=token)
    assert answer.status == 200, answer.body
    (result,) = answer.data.values()
    assert result["errors"] == [], result
    return result["reservation"]


async def paid_stay(client, db, host, host_token, guest_token, *, start, nights, late_percent):
    """A paid, CONFIRMED stay at 100.00 a night on a listing whose free cancellation ends
    7 days before check-in, refunding `late_percent` of the nights after that."""
    listing = await make_listing(db, host, nightly_price="100.00", currency="EUR")
    terms = {"freeCancellationDays": 7, "lateRefundPercent": late_percent}
    answer = await client(TERMS, {"id": str(listing), "input": terms}, token=host_token)
    assert answer.data["updateListingTerms"]["errors"] == []
    booked = await book_over_graphql(client, guest_token, listing, start, nights)
    paid = await payload(client, PAY, {"id": booked["id"]}, guest_token)
    assert paid["status"] == "CONFIRMED"
    return paid


def refunded(reservation: dict) -> Decimal:
    return Decimal(reservation["payment"]["refundedAmount"]["amount"])


async def change(client, token, reservation, start, **more) -> dict:
    variables = {"input": {"id": reservation["id"], "startDate": start.isoformat(), **more}}
    return await payload(client, CHANGE, variables, token)


async def cancel(client, token, reservation) -> dict:
    return await payload(client, CANCEL, {"id": reservation["id"]}, token)


async def test_moving_a_late_booking_to_next_year_keeps_the_penalty(
    client, db, host, host_token, guest_token
):
    stay = await paid_stay(
        client, db, host, host_token, guest_token, start=in_days(2), nights=3, late_percent=0
    )
    moved = await change(client, guest_token, stay, in_days(2 + 365), nights=3)
    assert refunded(moved) == 0
    cancelled = await cancel(client, guest_token, moved)
    assert cancelled["status"] == "CANCELLED"
    assert refunded(cancelled) == 0  # the policy gives nothing back this late
    assert cancelled["payment"]["status"] == "PAID"


async def test_moving_in_steps_and_then_cancelling_keeps_the_penalty(
    client, db, host, host_token, guest_token
):
    stay = await paid_stay(
        client, db, host, host_token, guest_token, start=in_days(3), nights=2, late_percent=50
    )
    moved = await change(client, guest_token, stay, in_days(40), nights=2)
    moved = await change(client, guest_token, moved, in_days(200), nights=2)
    cancelled = await cancel(client, guest_token, moved)
    assert refunded(cancelled) == Decimal("100.00")  # half of 200.00, as cancelling at first


async def test_shortening_just_before_check_in_refunds_by_the_policy(
    client, db, host, host_token, guest_token
):
    stay = await paid_stay(
        client, db, host, host_token, guest_token, start=in_days(1), nights=3, late_percent=50
    )
    shorter = await change(client, guest_token, stay, in_days(1), nights=1)
    # The two nights given up: half of 200.00 back, not all of it.
    assert refunded(shorter) == Decimal("100.00")
    kinds = {item["kind"]: item["amount"]["amount"] for item in shorter["price"]["lineItems"]}
    assert kinds["LATE_CHANGE_FEE"] == "100.00"
    assert shorter["price"]["total"]["amount"] == "200.00"
    cancelled = await cancel(client, guest_token, shorter)
    # The last night: half back. In all 150.00 of 300.00, exactly the policy's share.
    assert refunded(cancelled) == Decimal("150.00")


async def test_fewer_units_late_refunds_by_the_policy(client, db, host, host_token, guest_token):
    listing_units = 2
    listing = await make_listing(
        db, host, nightly_price="100.00", currency="EUR", units=listing_units
    )
    terms = {"freeCancellationDays": 7, "lateRefundPercent": 0}
    await client(TERMS, {"id": str(listing), "input": terms}, token=host_token)
    booked = await book_over_graphql(client, guest_token, listing, in_days(2), 2, quantity=2)
    paid = await payload(client, PAY, {"id": booked["id"]}, guest_token)
    fewer = await change(client, guest_token, paid, in_days(2), nights=2, quantity=1)
    assert refunded(fewer) == 0


async def test_changes_well_before_the_window_still_refund_in_full(
    client, db, host, host_token, guest_token
):
    stay = await paid_stay(
        client, db, host, host_token, guest_token, start=in_days(60), nights=3, late_percent=0
    )
    shorter = await change(client, guest_token, stay, in_days(90), nights=2)
    assert refunded(shorter) == Decimal("100.00")
    cancelled = await cancel(client, guest_token, shorter)
    assert refunded(cancelled) == Decimal("300.00")  # everything, as the policy says
    assert cancelled["payment"]["status"] == "REFUNDED"


async def test_the_host_cancelling_refunds_everything_after_a_late_change(
    client, db, host, host_token, guest_token
):
    stay = await paid_stay(
        client, db, host, host_token, guest_token, start=in_days(1), nights=3, late_percent=0
    )
    shorter = await change(client, guest_token, stay, in_days(1), nights=1)
    assert refunded(shorter) == 0
    cancelled = await cancel(client, host_token, shorter)
    assert refunded(cancelled) == Decimal("300.00")
