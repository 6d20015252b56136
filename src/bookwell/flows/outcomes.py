"""How a booking ends when its guest never came: the no-show flows (services/booking/
no_show.py). Marking frees the units, so the waitlist is offered them after the commit; the
payment is settled by the no-show rule (services/payments/no_show.py: nothing back)."""

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.flows.waitlist import offer_freed_units
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import no_show
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.payments.no_show import refund_for_no_show
from bookwell.services.payments.provider import PaymentProvider

log = logging.getLogger(__name__)


async def mark_no_show(
    db: Database, *, principal: Principal, reservation_id: uuid.UUID, provider: PaymentProvider
) -> ReservationRecord:
    """The host marks a guest who never came; the payment is settled in the same
    transaction (a refund that fails rolls the mark back), then the freed units are offered."""

    async def mark(session: AsyncSession) -> ReservationRecord:
        marked = await no_show.mark_no_show(
            session=session, principal=principal, reservation_id=reservation_id
        )
        await refund_for_no_show(session=session, reservation=marked, provider=provider)
        return marked

    reservation = await in_one_transaction(db, mark)
    await offer_freed_units(db, [reservation.listing_id])
    return reservation


async def mark_due_no_shows(db: Database, provider: PaymentProvider) -> list[uuid.UUID]:
    """The scheduler's step: reservations at listings that track arrivals, not checked in by
    their grace time, become NO_SHOW (one transaction); then each payment is settled in a
    transaction of its own (a failure is logged and does not undo the mark; there is
    normally nothing to refund), and the freed units are offered. The ids marked."""
    marked = await in_one_transaction(
        db, lambda session: no_show.mark_due_no_shows(session=session)
    )
    for reservation in marked:
        try:
            await _settle(db, reservation, provider)
        except Exception:
            log.exception("settling the payment of no-show %s failed", reservation.id)
    await offer_freed_units(db, [reservation.listing_id for reservation in marked])
    return [reservation.id for reservation in marked]


async def _settle(db: Database, reservation: ReservationRecord, provider: PaymentProvider) -> None:
    await in_one_transaction(
        db,
        lambda session: refund_for_no_show(
            session=session, reservation=reservation, provider=provider
        ),
    )


async def set_no_show_policy(
    db: Database,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    auto_no_show_after_hours: int | None,
) -> int | None:
    return await in_one_transaction(
        db,
        lambda session: no_show.set_policy(
            session=session,
            principal=principal,
            listing_id=listing_id,
            auto_no_show_after_hours=auto_no_show_after_hours,
        ),
    )
