"""The calendar attachment: the stay or slot as an iCalendar event.

One UID per reservation, so each message updates the same calendar entry; SEQUENCE is the
outbox id, which grows with every event, so a calendar keeps the newest version however
the messages arrive. Cancellations and expiries are METHOD:CANCEL.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

import icalendar

from bookwell.mail.formats import guests_line, place
from bookwell.mail.notice import Booking, Notice
from bookwell.mail.period import period_of

ENDING_EVENTS = frozenset({"reservation.cancelled", "reservation.expired"})
ENDED_STATUSES = frozenset({"CANCELLED", "EXPIRED", "NO_SHOW"})
FIRM_STATUSES = frozenset({"CONFIRMED", "ACTIVE", "COMPLETED"})
AROUND = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class Invite:
    method: str  # REQUEST | CANCEL, also the MIME part's `method` parameter
    text: str


def uid_of(notice: Notice) -> str:
    return f"{notice.booking.reservation_id}@bookwell"


def _description(booking: Booking) -> str:
    """The reference, and who comes and what they asked for (plain text: iCalendar
    escapes it)."""
    lines = [f"Bookwell reservation {booking.reservation_id}"]
    if booking.adults is not None:
        lines.append(f"Guests: {guests_line(booking.adults, booking.children or 0)}")
    if booking.special_requests:
        lines.append(f"Special requests: {booking.special_requests}")
    return "\n".join(lines)


def invite(notice: Notice, *, organizer: str) -> Invite:
    """The booking as a calendar event; `organizer` is the sender ("Name <address>")."""
    booking = notice.booking
    ended = notice.event in ENDING_EVENTS or booking.status in ENDED_STATUSES
    method = "CANCEL" if ended else "REQUEST"
    when = period_of(booking)

    event = icalendar.Event()
    event.add("uid", uid_of(notice))
    event.add("sequence", notice.outbox_id)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", when.start)
    event.add("dtend", when.end)
    event.add("summary", booking.listing_title)
    if where := place(booking):
        event.add("location", where)
    event.add("description", _description(booking))
    if ended:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED" if booking.status in FIRM_STATUSES else "TENTATIVE")
    name, address = parseaddr(organizer)
    event.add("organizer", _address(address, name or "Bookwell"))
    attendee = _address(notice.recipient.email, notice.recipient.name)
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["RSVP"] = "FALSE"
    event.add("attendee", attendee)

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Bookwell//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    # Only the zone's rules around the booking: a small attachment, valid past 2038 too.
    calendar.add_missing_timezones(
        first_date=when.start.date() - AROUND, last_date=when.end.date() + AROUND
    )
    return Invite(method, calendar.to_ical().decode())


def _address(email: str, name: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    address.params["CN"] = " ".join(name.split())
    return address
