"""What the booking services return."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bookwell.core.records import columns_for
from bookwell.models import Reservation, ReservationStatus


@dataclass(frozen=True, slots=True)
class ReservationRecord:
    id: uuid.UUID
    created_at: datetime
    listing_id: uuid.UUID
    guest_id: uuid.UUID | None
    guest_name: str
    start_date: date
    end_date: date
    quantity: int
    status: ReservationStatus
    total_amount: Decimal
    currency: str
    cancelled_at: datetime | None
    expires_at: datetime | None
    confirmed_at: datetime | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    cancel_reason: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    party_size: int | None
    external_uid: str | None
    external_source: str | None
    # Guests on the booking (services/booking/guests.py); None when not given.
    adults: int | None
    children: int | None
    special_requests: str | None
    # Last, and None when not read: pages leave out this one large column (LISTED_COLUMNS).
    price_snapshot: dict[str, Any] | None = None


RESERVATION_COLUMNS = columns_for(ReservationRecord, Reservation.__table__)
LISTED_COLUMNS = RESERVATION_COLUMNS[:-1]
