"""Booking without an account (issue 17.7): a guest gives a name and an email instead of a
token, on a listing that allows it, and gets back the booking and its manage link.

The booking is the one `booking.book` (or `slots.book_slot`) makes, with the same holds,
limits, idempotency and outbox, as the address's checkout user
(services/accounts/checkout.py): the per-guest hold limits then count per email address, and
an idempotent replay by the same address answers the same reservation and manage token."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.errors import not_found
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import Role
from bookwell.services.accounts import checkout
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import manage_tokens, reservations
from bookwell.services.booking.manage_tokens import ManageTokens
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.listings.guest_checkout import allows_guest_checkout


@dataclass(frozen=True, slots=True)
class CheckoutBooking:
    reservation: ReservationRecord
    manage_token: str


Book = Callable[[Principal], Awaitable[ReservationRecord]]


async def book_without_account(
    db: Database,
    *,
    email: str,
    name: str,
    listing_id: uuid.UUID,
    book: Book,
    tokens: ManageTokens,
) -> CheckoutBooking | None:
    """The hold `book` makes as the address's checkout user (flows/booking.py `book` for a
    stay, flows/slots.py `book_slot` for a slot), and its manage token; None when the
    listing does not take bookings without an account (or does not exist): the caller must
    sign in."""

    async def checkout_guest(session: AsyncSession) -> uuid.UUID | None:
        if not await allows_guest_checkout(session=session, listing_id=listing_id):
            return None
        return await checkout.checkout_user(session=session, email=email, name=name)

    # Its own transaction: the address's row is shared by its bookings, and a booking
    # refused afterwards leaves an unused row, not a lock held while booking.
    guest_id = await in_one_transaction(db, checkout_guest)
    if guest_id is None:
        return None
    row = await book(Principal(guest_id, Role.GUEST))
    async with db.read() as session:
        token = await manage_tokens.current_token(
            session=session, tokens=tokens, reservation_id=row.id
        )
    assert token is not None  # booked by a checkout user just now
    return CheckoutBooking(row, token)


async def revoke_manage_links(
    db: Database, *, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRecord:
    """Every manage link of the booking stops working at once: asked by the guest through
    one, by the listing's host, or by an admin. NOT_FOUND for a reservation they may not see."""

    async def revoke(session: AsyncSession) -> ReservationRecord:
        if not await manage_tokens.revoke(
            session=session, principal=principal, reservation_id=reservation_id
        ):
            raise not_found("reservation")
        rows = await reservations.reservations_by_ids(
            session=session, viewer=principal, ids=[reservation_id]
        )
        return rows[0]

    return await in_one_transaction(db, revoke)
