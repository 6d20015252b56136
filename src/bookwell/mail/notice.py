"""What one notification says to one person: plain data, read fresh when it is delivered.

workers/notices.py builds these from an outbox row; mail/compose.py turns one into an email.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Person:
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class PriceLine:
    """A line of the price worth showing beside the total: a discount or a tax."""

    description: str  # as the price snapshot has it: "Voucher SUMMER10 (10%)", "VAT (7%)"
    amount: Decimal  # a discount is negative
    included: bool = False  # an inclusive tax: already in the total


@dataclass(frozen=True, slots=True)
class Booking:
    """The reservation and its listing as they are when the message is written."""

    reservation_id: uuid.UUID
    status: str
    listing_id: uuid.UUID
    listing_title: str
    listing_kind: str  # STAY | RESTAURANT | SPACE | EQUIPMENT
    city: str | None
    country: str | None
    timezone: str  # IANA name; every time in a message is shown in it, with the name
    host: Person
    guest: Person | None  # None: booked by name only (no account to write to)
    guest_name: str
    start_date: date
    end_date: date  # exclusive: the check-out day
    check_in_time: time
    check_out_time: time
    starts_at: datetime | None  # time slots only, timezone-aware
    ends_at: datetime | None
    quantity: int
    party_size: int | None
    total: Decimal
    currency: str
    expires_at: datetime | None  # a PENDING hold's deadline
    cancel_reason: str | None
    refunded: Decimal | None  # what the guest got back, when a payment was refunded
    # False: the host approves each booking after payment (a request, not a booking).
    instant_book: bool = True
    paid: Decimal | None = None  # what the guest paid, when a payment went through
    # Who comes and what they ask the host (None: not given); free text, shown as text.
    adults: int | None = None
    children: int | None = None
    special_requests: str | None = None
    # Its discount and taxes, from the price snapshot, in its order.
    price_lines: tuple[PriceLine, ...] = ()
    # The cancellation policy's share of the price a no-show gets back, as agreed.
    no_show_refund_percent: int = 0


@dataclass(frozen=True, slots=True)
class Notice:
    """One message: an outbox event told to one recipient in one role."""

    outbox_id: int
    event: str  # services/notifications/outbox.py: Event values
    role: Literal["guest", "host"]
    recipient: Person
    booking: Booking
    # The outbox row's data (old dates on a change, who cancelled, ...).
    data: dict[str, Any] = field(default_factory=dict)
