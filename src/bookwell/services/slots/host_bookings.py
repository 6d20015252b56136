"""A host's booking for a guest (bookSlot with bookedByHost), e.g. taken on the phone.

With the guest's address (guestEmail) the booking is that address's checkout user's, and
every notice of it (confirmed, changed, cancelled, reminder) is emailed there, written
with what the host typed (the guest's name, the listing's title). So that no host relays
mail to addresses of their choosing, a listing owner's bookings naming an address are
bounded over the last day: PER_ADDRESS for one address (booking and cancelling again
and again harasses one inbox) and PER_HOST in all (a spam run over many addresses).
Bookings cancelled since count too: their emails were sent. A booking with no address
(a walk-in by name) emails nobody and is never refused.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, invalid
from bookwell.models import CheckoutOrigin, Listing, Reservation, User
from bookwell.services.accounts.accounts import check_account_input
from bookwell.services.accounts.phones import normalized_phone
from bookwell.services.accounts.principal import Principal

PER_ADDRESS = 5
PER_HOST = 500
WINDOW = timedelta(days=1)


def check_host_booking(
    listing: Row[*tuple[Any, ...]], principal: Principal, guest_name: str | None
) -> None:
    """A booking by the listing's host (or an admin) for a named guest, e.g. on the phone."""
    if listing.owner_id != principal.user_id and not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Only the listing's host books for a guest (bookedByHost).",
            "bookedByHost",
        )
    if not (guest_name or "").strip():
        raise invalid("guestName", "Name the guest you book for.")


def check_host_booking_contact(
    *, by_host: bool, has_origin: bool, guest_email: str | None, guest_phone: str | None
) -> None:
    """A guest's phone or address goes with a host's booking for them (bookedByHost), and
    a phone with an address: the address says whose booking it is. Without an account
    (has_origin: the address is the booking's account) a phone alone."""
    found = InputErrors()
    allowed = {"guestEmail": by_host, "guestPhone": by_host or has_origin}
    for field, value in (("guestEmail", guest_email), ("guestPhone", guest_phone)):
        if value is not None and not allowed[field]:
            found.add(invalid(field, f"{field} is for a host's booking for a guest."))
    if guest_phone is not None and guest_email is None and by_host:
        found.add(invalid("guestEmail", "Give the guest's email address with their phone."))
    if guest_phone is not None:
        found.check(normalized_phone, guest_phone, "guestPhone")
    if guest_email is not None:
        try:
            check_account_input(email=guest_email, password=None, name="guest")
        except DomainError as error:
            found.add(invalid("guestEmail", error.errors[0].message))
    found.raise_if_any()


def _first_id_since(moment: datetime) -> uuid.UUID:
    """The smallest UUIDv7 made at `moment` or later: ids are time-ordered, so the indexes
    on (listing_id, id) and (guest_id, id) find a day's bookings without a scan."""
    milliseconds = int(moment.timestamp() * 1000)
    return uuid.UUID(int=milliseconds << 80)


async def _count(session: AsyncSession, owner_id: uuid.UUID, limit: int, *where: Any) -> int:
    """This owner's bookings of the last day for a checkout user that came with no origin
    (a host's bookings: a guest's own checkout records one), counted up to `limit`."""
    since = _first_id_since(datetime.now(UTC) - WINDOW)
    bookings = (
        select(Reservation.id)
        .join(Listing, Listing.id == Reservation.listing_id)
        .join(User, User.id == Reservation.guest_id)
        .where(
            Listing.owner_id == owner_id,
            User.checkout,
            Reservation.id >= since,
            ~select(CheckoutOrigin.reservation_id)
            .where(CheckoutOrigin.reservation_id == Reservation.id)
            .exists(),
            *where,
        )
        .limit(limit)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(bookings)) or 0)


async def check_host_contact_limits(
    *, session: AsyncSession, owner_id: uuid.UUID, guest_id: uuid.UUID
) -> None:
    """GUEST_EMAIL_LIMIT when one more booking of this owner's naming `guest_id`'s address
    would pass PER_ADDRESS, or naming any address PER_HOST, over the last day."""
    if await _count(session, owner_id, PER_ADDRESS, Reservation.guest_id == guest_id) >= (
        PER_ADDRESS
    ):
        raise DomainError(
            ErrorCode.GUEST_EMAIL_LIMIT,
            f"You booked for this email address {PER_ADDRESS} times in the last day, and each "
            "booking emails it: book without guestEmail, or again tomorrow.",
            "guestEmail",
        )
    if await _count(session, owner_id, PER_HOST) >= PER_HOST:
        raise DomainError(
            ErrorCode.GUEST_EMAIL_LIMIT,
            f"Your bookings named {PER_HOST} guests' email addresses in the last day, the "
            "most one host may: book without guestEmail, or again tomorrow.",
            "guestEmail",
        )
