"""Demo data of the no-show outcome (services/booking/no_show.py): the demo host's first stay
listing tracks arrivals (no-shows marked 24 hours after check-in time), and had a guest who
never came last week, so the reports show a no-show and what it kept."""

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import (
    Listing,
    ListingKind,
    OutboxMessage,
    Reservation,
    ReservationStatus,
    User,
)
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import reservations
from bookwell.services.listings.stays import today_in
from bookwell.services.payments import service as payments
from bookwell.services.payments.builtin import BuiltinProvider

DEMO_GRACE_HOURS = 24


async def seed_outcomes(db: Database, *, host_email: str, guest: Principal) -> None:
    async def work(session: AsyncSession) -> None:
        listing = (
            await session.execute(
                select(Listing)
                .join(User, User.id == Listing.owner_id)
                .where(func.lower(User.email) == host_email, Listing.kind == ListingKind.STAY)
                .order_by(Listing.id)
                .limit(1)
            )
        ).scalar_one_or_none()
        if listing is None:
            return
        listing.auto_no_show_after_hours = DEMO_GRACE_HOURS
        # Booked and paid ahead (past dates cannot be booked), then moved to last week.
        later = today_in(listing.timezone) + timedelta(days=300)
        row = await reservations.create_reservation(
            session=session,
            guest=guest,
            data=reservations.NewReservation(listing_id=listing.id, start_date=later, nights=2),
        )
        await payments.pay_reservation(
            session=session,
            principal=guest,
            reservation_id=row.id,
            idempotency_key=f"seed-no-show-{row.id}",
            provider=BuiltinProvider(),
        )
        start = today_in(listing.timezone) - timedelta(days=7)
        await session.execute(
            update(Reservation)
            .where(Reservation.id == row.id)
            .values(
                status=ReservationStatus.NO_SHOW,
                start_date=start,
                end_date=start + timedelta(days=2),
                no_show_at=func.now(),
            )
        )
        await session.execute(delete(OutboxMessage).where(OutboxMessage.reservation_id == row.id))

    await in_one_transaction(db, work)
