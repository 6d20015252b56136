"""Demo data for taxes and vouchers (issue 19, items 5 and 6): the demo host's first stay
charges 7 % VAT (included) and a 2.50 tourist tax per person and night, the demo host
has a code DEMO10 (10 % off the nights, 50 uses) for all of their listings, and their
restaurant (cli/seed_tables.py) charges 10 % VAT (included), with a paid table for two adults
and two children booked with DEMO10, so its price lines, the report's taxCollected and the
booking's emails show a slot's tax and discount."""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.zones import zone_info
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import Listing, ListingKind, OutboxMessage, TaxKind, Voucher, VoucherKind
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings import taxes
from bookwell.services.listings.charges import Tax
from bookwell.services.listings.stays import today_in
from bookwell.services.payments import service as payments
from bookwell.services.payments.builtin import BuiltinProvider
from bookwell.services.slots import slots
from bookwell.services.vouchers import vouchers

DEMO_TAXES = (
    Tax("VAT", TaxKind.PERCENT, inclusive=True, rate=Decimal("7")),
    Tax("Tourist tax", TaxKind.PER_PERSON_NIGHT, inclusive=False, amount=Decimal("2.50")),
)
RESTAURANT_TAXES = (Tax("VAT", TaxKind.PERCENT, inclusive=True, rate=Decimal("10")),)
DEMO_VOUCHER = vouchers.NewVoucher("DEMO10", VoucherKind.PERCENT, Decimal("10"), usage_limit=50)
# The table booked with DEMO10: a family of four, five evenings from the seeding day.
FAMILY_TABLE_DAYS = 5


async def _taxes_and_a_voucher(
    session: AsyncSession, *, host: Principal, guest: Principal, restaurant: uuid.UUID | None
) -> None:
    first_stay = (
        await session.execute(
            select(Listing.id)
            .where(Listing.owner_id == host.user_id, Listing.kind == ListingKind.STAY)
            .order_by(Listing.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if first_stay is not None:
        await taxes.set_listing_taxes(
            session=session, principal=host, listing_id=first_stay, taxes=DEMO_TAXES
        )
    has_it = select(Voucher.id).where(
        Voucher.owner_id == host.user_id, Voucher.code == DEMO_VOUCHER.code
    )
    if (await session.execute(has_it)).first() is None:  # `seed --force` seeds again
        await vouchers.create_voucher(session=session, principal=host, new=DEMO_VOUCHER)
    if restaurant is not None:
        await _family_table(session, host=host, guest=guest, restaurant=restaurant)


async def _family_table(
    session: AsyncSession, *, host: Principal, guest: Principal, restaurant: uuid.UUID
) -> None:
    await taxes.set_listing_taxes(
        session=session, principal=host, listing_id=restaurant, taxes=RESTAURANT_TAXES
    )
    zone = (
        await session.execute(select(Listing.timezone).where(Listing.id == restaurant))
    ).scalar_one()
    day = today_in(zone) + timedelta(days=FAMILY_TABLE_DAYS)
    booked = await slots.book_slot(
        session=session,
        guest=guest,
        data=slots.NewSlotBooking(
            listing_id=restaurant,
            starts_at=datetime.combine(day, time(20), zone_info(zone)),
            adults=2,
            children=2,
            special_requests="A high chair, please.",
            voucher_code=DEMO_VOUCHER.code,
        ),
    )
    await payments.pay_reservation(
        session=session,
        principal=guest,
        reservation_id=booked.id,
        idempotency_key=f"seed-{booked.id}",
        provider=BuiltinProvider(),
    )
    # Demo bookings are not news: nobody is emailed about them.
    await session.execute(delete(OutboxMessage).where(OutboxMessage.reservation_id == booked.id))


async def seed_taxes_and_vouchers(
    db: Database, *, host: Principal, guest: Principal, restaurant: uuid.UUID | None = None
) -> None:
    await in_one_transaction(
        db,
        lambda session: _taxes_and_a_voucher(
            session, host=host, guest=guest, restaurant=restaurant
        ),
    )
