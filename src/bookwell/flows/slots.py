"""Slot flows: hold a table, a room or an item for a time (services/slots/slots.py)."""

from bookwell.core.db import Database
from bookwell.flows.listing_gate import in_listing_turn
from bookwell.flows.transaction import in_one_transaction
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.slots import slots
from bookwell.services.slots.slots import NewSlotBooking


async def book_slot(
    db: Database, *, guest: Principal, data: NewSlotBooking, idempotency_key: str | None = None
) -> ReservationRecord:
    """A PENDING hold on the slot; the booking itself expires overdue holds in its way,
    like a stay's, waiting for whoever else is expiring them; in one of the listing's turns
    (flows/listing_gate.py)."""
    return await in_listing_turn(
        db,
        data.listing_id,
        lambda: in_one_transaction(
            db,
            lambda session: slots.book_slot(
                session=session, guest=guest, data=data, idempotency_key=idempotency_key
            ),
        ),
    )
