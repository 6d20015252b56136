"""Demo data for choosing a table: a Paris restaurant of the demo host's whose tables seat 2,
4 and 6, a guest's booking of the table they chose, and the host's phone booking of another
for a named guest with her address and phone (so the printed demo token can try both, and
`customers` lists her)."""

import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.zones import zone_info
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import ListingKind, ListingUnit, OutboxMessage
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings import listings
from bookwell.services.listings.stays import today_in
from bookwell.services.listings.units import SlotSettings, TableSpec
from bookwell.services.payments import service as payments
from bookwell.services.payments.builtin import BuiltinProvider
from bookwell.services.slots import slots

TABLES = (
    TableSpec(2, "Bar 1"),
    TableSpec(2, "Bar 2"),
    TableSpec(4, "Garden 1"),
    TableSpec(4, "Garden 2"),
    TableSpec(6, "Window"),
    TableSpec(6, "Alcove"),
)
ZONE = "Europe/Paris"


async def seed_tables(db: Database, *, host: Principal, guest: Principal) -> uuid.UUID:
    """The restaurant's id."""
    return await in_one_transaction(
        db, lambda session: _restaurant(session, host=host, guest=guest)
    )


async def _restaurant(session: AsyncSession, *, host: Principal, guest: Principal) -> uuid.UUID:
    data = listings.NewListing(
        kind=ListingKind.RESTAURANT,
        title="Chez Dana: choose your table",
        description="A demo restaurant with tables for 2, 4 and 6: pick one with bookSlot's "
        "unitId (see freeUnits), or let Bookwell assign the smallest that fits.",
        city="Paris",
        country="FR",
        timezone=ZONE,
        nightly_price="25",
        currency="EUR",
        units=len(TABLES),
        slots=SlotSettings(
            slot_minutes=30,
            sitting_minutes=120,
            opens_at=time(18),
            closes_at=time(23),
            tables=TABLES,
        ),
    )
    listing = await listings.create_listing(session=session, owner=host, data=data)
    labelled = select(ListingUnit.label, ListingUnit.id).where(ListingUnit.listing_id == listing.id)
    units = {label: unit_id for label, unit_id in await session.execute(labelled)}
    evening = datetime.combine(today_in(ZONE) + timedelta(days=3), time(19), zone_info(ZONE))
    chosen = await slots.book_slot(
        session=session,
        guest=guest,
        data=slots.NewSlotBooking(
            listing_id=listing.id, starts_at=evening, party_size=5, unit_id=units["Window"]
        ),
    )
    await payments.pay_reservation(
        session=session,
        principal=guest,
        reservation_id=chosen.id,
        idempotency_key=f"seed-{chosen.id}",
        provider=BuiltinProvider(),
    )
    by_phone = await slots.book_slot(
        session=session,
        guest=host,
        data=slots.NewSlotBooking(
            listing_id=listing.id,
            starts_at=evening,
            party_size=3,
            guest_name="Mme Rousseau (by phone)",
            unit_id=units["Garden 1"],
            by_host=True,
            # Her booking, not the host's: she is one of the host's customers.
            guest_email="rousseau@example.com",
            guest_phone="+33 1 42 68 53 00",
        ),
    )
    # Demo bookings are not news: nobody is emailed about them.
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.reservation_id.in_([chosen.id, by_phone.id]))
    )
    return listing.id
