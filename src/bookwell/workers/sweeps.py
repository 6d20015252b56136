"""Periodic sweeps over reservations, each step in its own short transaction.

`bookwell expire-holds` runs them once; a scheduler runs them on a timer. Every step is
idempotent and safe to run in several processes at once (SKIP LOCKED, advisory locks).
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from bookwell.core.db import Database
from bookwell.core.errors import DomainError
from bookwell.models import (
    Payment,
    Reservation,
    ReservationStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from bookwell.services.booking import holds
from bookwell.services.payments import service as payments
from bookwell.services.payments.provider import PaymentProvider
from bookwell.services.payments.records import SETTLED
from bookwell.services.waitlist import waitlist

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SweepReport:
    expired: int
    refunded: int
    offered: int


async def offer_to_waitlists(db: Database, listing_ids: Iterable[uuid.UUID]) -> int:
    """Offer freed units on these listings to their waitlists, one transaction per listing.

    Runs after the transaction that freed the units has committed (services/waitlist/waitlist.py
    says why); a failure here never undoes that change, and the next sweep tries again."""
    offered = 0
    for listing_id in dict.fromkeys(listing_ids):
        try:
            async with db.transaction() as session:
                offered += len(
                    await waitlist.offer_freed_units(session=session, listing_id=listing_id)
                )
        except Exception:
            log.exception("waitlist offers failed for listing %s", listing_id)
    return offered


async def refund_ended_holds(db: Database, provider: PaymentProvider) -> int:
    """Paid holds that expired (awaiting the host, or expired lazily by another booking)
    get everything back."""
    stmt = (
        select(Reservation.id)
        .join(Payment, Payment.reservation_id == Reservation.id)
        .where(
            Reservation.status == ReservationStatus.EXPIRED,
            Payment.status.in_(SETTLED),
            Payment.refunded_amount < Payment.amount,
        )
    )
    async with db.read() as session:
        ids = list((await session.execute(stmt)).scalars())
    refunded = 0
    for reservation_id in ids:
        try:
            async with db.transaction() as session:
                if await payments.refund_in_full(
                    session=session, reservation_id=reservation_id, provider=provider
                ):
                    refunded += 1
        except DomainError as error:
            log.warning("refund of expired hold %s failed: %s", reservation_id, error.message)
    return refunded


async def _listings_with_waitlist(db: Database) -> list[uuid.UUID]:
    stmt = (
        select(WaitlistEntry.listing_id)
        .where(WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)))
        .distinct()
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def sweep_holds(db: Database, provider: PaymentProvider) -> SweepReport:
    async with db.transaction() as session:
        expired = await holds.expire_holds(session=session)
    refunded = await refund_ended_holds(db, provider)
    # Lazily expired holds free units too: every listing with waiting entries gets a look.
    offered = await offer_to_waitlists(
        db, [row.listing_id for row in expired] + await _listings_with_waitlist(db)
    )
    return SweepReport(expired=len(expired), refunded=refunded, offered=offered)
