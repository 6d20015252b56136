"""The periodic sweep over holds: expire the overdue, refund the paid ones that ended, offer
what was freed to the waitlists. Each step is a flow with short transactions of its own.

`bookwell expire-holds` runs it once; the scheduler runs it on a timer. Every step is
idempotent and safe to run in several processes at once (SKIP LOCKED, advisory locks).
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from bookwell.core.db import Database
from bookwell.flows import booking
from bookwell.flows import payments as payment_flows
from bookwell.flows import waitlist as waitlist_flows
from bookwell.models import WaitlistEntry, WaitlistStatus
from bookwell.services.payments.provider import PaymentProvider


@dataclass(frozen=True, slots=True)
class SweepReport:
    expired: int
    refunded: int
    offered: int


async def _listings_with_waitlist(db: Database) -> list[uuid.UUID]:
    stmt = (
        select(WaitlistEntry.listing_id)
        .where(WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)))
        .distinct()
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def sweep_holds(db: Database, provider: PaymentProvider) -> SweepReport:
    expired = await booking.expire_overdue_holds(db)
    refunded = await payment_flows.refund_ended_holds(db, provider)
    # Lazily expired holds free units too: every listing with waiting entries gets a look.
    offered = await waitlist_flows.offer_freed_units(
        db, [row.listing_id for row in expired] + await _listings_with_waitlist(db)
    )
    return SweepReport(expired=len(expired), refunded=refunded, offered=offered)
