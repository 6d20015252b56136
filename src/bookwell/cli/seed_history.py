"""Demo history: stays that already happened (paid, checked out, most reviewed), so that a
first start's reports, reviews and customers show figures, and guests' phone numbers."""

import random
from datetime import timedelta
from functools import partial

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.errors import DomainError
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import ListingKind, OutboxMessage
from bookwell.services.accounts import profiles
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import reservations
from bookwell.services.listings.records import ListingRecord
from bookwell.services.listings.stays import today_in
from bookwell.services.payments import service as payments
from bookwell.services.payments.builtin import BuiltinProvider
from bookwell.services.reviews import reviews

PHONES = ["+33142685300", "+351213220000", "+81352132111", "+12125550123", "+61292501111"]
REVIEWS = [
    (5, "Spotless, quiet and exactly as described. We would book it again."),
    (4, "Great location and a kind host; the street is a little noisy at night."),
    (5, "Everything we needed for a long weekend."),
    (3, "Fine for a night or two, smaller than the photos suggest."),
]
# A stay is booked ahead (only the future can be booked), then moved back this far, to
# where it happened: its nights were free then too, no booking existed before today.
MOVED_BACK = timedelta(days=150)


async def seed_history(
    db: Database,
    *,
    rng: random.Random,
    guests: list[Principal],
    listings: list[ListingRecord],
    stays: int = 24,
) -> None:
    for guest, phone in zip(guests, PHONES, strict=False):
        await in_one_transaction(db, partial(_give_phone, guest=guest, phone=phone))
    lodging = [listing for listing in listings if listing.kind is ListingKind.STAY]
    made = 0
    while lodging and made < stays:
        work = partial(_past_stay, rng=rng, listing=rng.choice(lodging), guest=rng.choice(guests))
        try:
            await in_one_transaction(db, work)
            made += 1
        except DomainError:
            continue  # full then: another


async def _give_phone(session: AsyncSession, *, guest: Principal, phone: str) -> None:
    change = profiles.ProfileChange(phone=phone)
    await profiles.update_profile(session=session, user_id=guest.user_id, change=change)


async def _past_stay(
    session: AsyncSession, *, rng: random.Random, listing: ListingRecord, guest: Principal
) -> None:
    start = today_in(listing.timezone) + MOVED_BACK - timedelta(days=rng.randint(10, 140))
    row = await reservations.create_reservation(
        session=session,
        guest=guest,
        data=reservations.NewReservation(listing.id, start, nights=rng.randint(1, 5)),
    )
    await payments.pay_reservation(
        session=session,
        principal=guest,
        reservation_id=row.id,
        idempotency_key=f"seed-{row.id}",
        provider=BuiltinProvider(),
    )
    # What check-in and check-out would have left, at the dates it happened.
    await session.execute(
        text("""
            WITH moved AS (SELECT CAST(:days AS integer) AS days)
            UPDATE reservations
               SET start_date = start_date - days, end_date = end_date - days,
                   created_at = created_at - make_interval(days => days + 20),
                   confirmed_at = confirmed_at - make_interval(days => days + 20),
                   checked_in_at = (start_date - days) + time '15:00',
                   checked_out_at = (end_date - days) + time '11:00',
                   status = 'COMPLETED', expires_at = NULL
              FROM moved
             WHERE id = :id
        """),
        {"days": MOVED_BACK.days, "id": row.id},
    )
    if rng.random() < 0.75:
        rating, comment = rng.choice(REVIEWS)
        await reviews.create_review(
            session=session, author=guest, reservation_id=row.id, rating=rating, comment=comment
        )
    await session.execute(delete(OutboxMessage).where(OutboxMessage.reservation_id == row.id))
