"""How facts read in a message: dates, times with their zone's name, money, places.

Month and weekday names are spelled here rather than by strftime, so a message reads the
same whatever locale the worker runs in.
"""

from datetime import date, datetime
from decimal import Decimal

from bookwell.core.zones import zone_info
from bookwell.mail.notice import Booking

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(value: date | str) -> str:
    """ "Sat 5 Dec 2026"; ISO strings too (outbox data carries dates as text)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{WEEKDAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]} {value.year}"


def moment(value: datetime, zone: str) -> str:
    """ "Sat 5 Dec 2026, 15:00 (Europe/Berlin)": the instant as wall-clock time in `zone`."""
    local = value.astimezone(zone_info(zone))
    return f"{day(local.date())}, {local:%H:%M} ({zone})"


def money(amount: Decimal | str | int, currency: str) -> str:
    """ "120.00 EUR"."""
    return f"{Decimal(amount):.2f} {currency}"


def place(booking: Booking) -> str | None:
    """ "Berlin, DE", or whichever part is known."""
    return ", ".join(part for part in (booking.city, booking.country) if part) or None


def guests_line(adults: int, children: int) -> str:
    """ "2 adults, 1 child"."""
    line = f"{adults} adult{'s' if adults != 1 else ''}"
    if children:
        line += f", {children} child{'ren' if children != 1 else ''}"
    return line
