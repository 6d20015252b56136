"""Bookings without an account (issue 17.7) are capped per IP address as well as per email:
fresh addresses cost nothing, so one client could otherwise hold any number of units
unpaid. The count is taken under a lock of the address (a transaction-level advisory lock),
so concurrent bookings from one IP are counted one after another, whatever the listings."""

import uuid
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import CheckoutOrigin, Reservation
from bookwell.services.booking.holds import unpaid_hold


@dataclass(frozen=True, slots=True)
class Origin:
    """The IP address a booking without an account came from, and how many unpaid holds
    one address may have at once (BOOKWELL_CHECKOUT_UNPAID_HOLDS_PER_IP)."""

    ip: str
    most_unpaid_holds: int


async def check_origin(*, session: AsyncSession, origin: Origin) -> None:
    """HOLD_LIMIT when the address already has its most unpaid holds; holds the address's
    lock to the end of the transaction, so the booking that passes is counted by the next."""
    key = func.hashtextextended(f"checkout-ip:{origin.ip}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))
    count = await session.scalar(
        select(func.count())
        .select_from(CheckoutOrigin)
        .join(Reservation, Reservation.id == CheckoutOrigin.reservation_id)
        .where(CheckoutOrigin.client_ip == origin.ip, unpaid_hold())
    )
    if (count or 0) >= origin.most_unpaid_holds:
        raise DomainError(
            ErrorCode.HOLD_LIMIT,
            f"{count} unpaid bookings without an account come from your network already: pay "
            "for one, or wait until one expires.",
        )


async def record_origin(
    *, session: AsyncSession, origin: Origin, reservation_id: uuid.UUID
) -> None:
    await session.execute(
        insert(CheckoutOrigin).values(reservation_id=reservation_id, client_ip=origin.ip)
    )
