"""What the customers services return."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A guest as one host (or an admin, or the guest themself) sees them: contact details,
    and counts over the bookings that viewer may see."""

    id: uuid.UUID  # the guest's user id
    name: str
    email: str
    phone: str | None
    bookings: int  # every booking but lapsed holds (EXPIRED)
    visits: int  # checked in: ACTIVE or COMPLETED
    no_shows: int
    cancellations: int
    last_visit: date | None  # the first day of the latest visit
    last_booked_at: datetime


@dataclass(frozen=True, slots=True)
class Spent:
    """What a customer paid in one currency, net of refunds."""

    currency: str
    amount: Decimal
