"""Demo data for booking without an account (issue 17.7): every third demo stay takes
bookings with a name and an email (`allowGuestCheckout`), and one such booking is made, so
the demo shows a checkout user and a manage link's booking."""

import uuid
from datetime import timedelta
from functools import partial

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.errors import DomainError
from bookwell.flows import booking
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import Listing, ListingKind, OutboxMessage, Role
from bookwell.services.accounts import checkout
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.listings.stays import today_in

WALK_IN = ("walk.in@bookwell.dev", "Wanda Walkin")


async def _allow_on_some_stays(session: AsyncSession) -> list[Row[uuid.UUID, str]]:
    stays = (
        await session.execute(
            select(Listing.id, Listing.timezone)
            .where(Listing.kind == ListingKind.STAY)
            .order_by(Listing.id)
        )
    ).all()
    chosen = list(stays[::3])
    if chosen:
        await session.execute(
            update(Listing)
            .where(Listing.id.in_([row.id for row in chosen]))
            .values(allow_guest_checkout=True)
        )
    return chosen


async def seed_guest_checkout(db: Database) -> None:
    chosen = await in_one_transaction(db, _allow_on_some_stays)
    if not chosen:
        return
    email, name = WALK_IN
    guest_id = await in_one_transaction(
        db, lambda session: checkout.checkout_user(session=session, email=email, name=name)
    )
    listing = chosen[0]
    for days in (130, 140, 150):  # after the other demo bookings: one of these fits
        data = NewReservation(
            listing_id=listing.id,
            start_date=today_in(listing.timezone) + timedelta(days=days),
            nights=2,
            guest_name=name,
        )
        try:
            row = await booking.book(db, guest=Principal(guest_id, Role.GUEST), data=data)
        except DomainError:
            continue
        await in_one_transaction(db, partial(_not_news, reservation_id=row.id))
        return


async def _not_news(session: AsyncSession, *, reservation_id: uuid.UUID) -> None:
    """The demo's bookings are not news: nobody is emailed about them (seed.py)."""
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.reservation_id == reservation_id)
    )
