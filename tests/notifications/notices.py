"""Notices made by hand, for the mail tests: a Berlin stay and a New York table."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from bookwell.mail import Booking, Notice, Person

HOST = Person("hannah@example.com", "Hannah Host")
GUEST = Person("gus@example.com", "Gus Guest")
SENDER = "Bookwell <bookings@bookwell.localhost>"
PUBLIC_URL = "https://bookwell.example"

BERLIN_STAY = Booking(
    reservation_id=uuid.UUID("0190f4c2-0000-7000-8000-000000000001"),
    status="PENDING",
    listing_id=uuid.UUID("0190f4c2-0000-7000-8000-0000000000aa"),
    listing_title="Loft by the Spree",
    listing_kind="STAY",
    city="Berlin",
    country="DE",
    timezone="Europe/Berlin",
    host=HOST,
    guest=GUEST,
    guest_name="Gus Guest",
    start_date=date(2026, 12, 5),
    end_date=date(2026, 12, 8),
    check_in_time=time(15),
    check_out_time=time(11),
    starts_at=None,
    ends_at=None,
    quantity=1,
    party_size=None,
    total=Decimal("360"),
    currency="EUR",
    expires_at=datetime(2026, 12, 1, 12, tzinfo=UTC),  # 13:00 in Berlin
    cancel_reason=None,
    refunded=None,
)

# 00:30 to 02:30 UTC on the 6th is 19:30 to 21:30 on the 5th in New York.
NEW_YORK_TABLE = replace(
    BERLIN_STAY,
    reservation_id=uuid.UUID("0190f4c2-0000-7000-8000-000000000002"),
    status="CONFIRMED",
    listing_title="Corner Bistro",
    listing_kind="RESTAURANT",
    city="New York",
    country="US",
    timezone="America/New_York",
    end_date=date(2026, 12, 6),
    starts_at=datetime(2026, 12, 6, 0, 30, tzinfo=UTC),
    ends_at=datetime(2026, 12, 6, 2, 30, tzinfo=UTC),
    party_size=4,
    total=Decimal("0"),
    currency="USD",
    expires_at=None,
)


def notice(
    event: str,
    role: str = "guest",
    booking: Booking = BERLIN_STAY,
    data: dict[str, Any] | None = None,
    outbox_id: int = 7,
    **changes: Any,
) -> Notice:
    booking = replace(booking, **changes)
    recipient = booking.host if role == "host" else GUEST
    return Notice(outbox_id, event, role, recipient, booking, data or {})
