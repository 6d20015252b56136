"""Booking without an account (issue 17.7) through the API: listings that allow it, the
booking with a name and an email, and what its manage token may do."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import text

from bookwell.core.db import Database
from bookwell.services.accounts.principal import Principal
from tests.factories import in_days, make_listing

CHECKOUT = """mutation($input: CreateReservationInput!) {
  createReservation(input: $input) {
    reservation { id databaseId status startDate endDate guestName }
    manageToken manageUrl
    errors { code field message }
  }
}"""
READ = "query($id: ID!) { reservation(id: $id) { id status startDate endDate } }"
ALL = "{ reservations { totalCount edges { node { id } } } }"
PAY = """mutation($id: ID!, $key: String!) {
  payReservation(id: $id, idempotencyKey: $key) { reservation { id status } errors { code } }
}"""
CANCEL = """mutation($id: ID!) {
  cancelReservation(id: $id) { reservation { id status } errors { code field } }
}"""
CHANGE = """mutation($input: ChangeReservationDatesInput!) {
  changeReservationDates(input: $input) {
    reservation { id startDate endDate } errors { code field }
  }
}"""
REVOKE = """mutation($id: ID!) {
  revokeManageLink(id: $id) { reservation { id } errors { code } }
}"""


async def checkout_listing(db: Database, host: Principal, **fields: Any) -> uuid.UUID:
    """A stay listing that takes bookings without an account (set in SQL, as
    updateListingTerms(allowGuestCheckout: true) would)."""
    listing_id = await make_listing(db, host, **fields)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET allow_guest_checkout = true WHERE id = :id"),
            {"id": listing_id},
        )
    return listing_id


def checkout_input(
    listing_id: uuid.UUID,
    email: str = "walk.in@example.com",
    *,
    start: date | None = None,
    nights: int = 2,
    name: str = "Wanda Walkin",
    **more: Any,
) -> dict[str, Any]:
    start = start or in_days(10)
    return {
        "listingId": str(listing_id),
        "startDate": str(start),
        "nights": nights,
        "guestName": name,
        "guestEmail": email,
    } | more


async def try_checkout(client, listing_id: uuid.UUID, email: str = "walk.in@example.com", **more):
    """createReservation without a token: the whole Answer."""
    return await client(CHECKOUT, {"input": checkout_input(listing_id, email, **more)})


async def checkout(client, listing_id: uuid.UUID, email: str = "walk.in@example.com", **more):
    """A booking without an account that must succeed: its payload."""
    answer = await try_checkout(client, listing_id, email, **more)
    payload = answer.data["createReservation"]
    assert payload["errors"] == [], payload
    assert payload["manageToken"], payload
    return payload
