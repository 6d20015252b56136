"""Who hears of an outbox event, and what each of them is told
(services/notifications/outbox.py: Event).

Everything but the event's own facts is read fresh, in one query, when the message is
delivered: a notice shows the booking as it is now.
"""

from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bookwell.mail.notice import Booking, Notice, Person, PriceLine
from bookwell.models import (
    HostNotice,
    Listing,
    OutboxMessage,
    Payment,
    Reservation,
    ReservationStatus,
    User,
)
from bookwell.services.listings.charges import DISCOUNT, TAX
from bookwell.services.notifications.outbox import Event
from bookwell.services.payments.records import SETTLED

Role = Literal["guest", "host"]

AUDIENCE: dict[Event, tuple[Role, ...]] = {
    Event.RESERVATION_CREATED: ("host", "guest"),
    # The host too when payment confirmed it (instant book): they did not act themselves.
    Event.RESERVATION_CONFIRMED: ("guest", "host"),
    Event.RESERVATION_AWAITING_APPROVAL: ("host",),
    Event.RESERVATION_CHANGED: ("guest", "host"),
    Event.RESERVATION_CANCELLED: ("guest", "host"),
    Event.RESERVATION_EXPIRED: ("guest", "host"),
    Event.RESERVATION_COMPLETED: ("guest",),
    # The guest; the host too as the listing says (Listing.notify_host_on_*, see _audience).
    Event.RESERVATION_CHECKED_IN: ("guest",),
    Event.RESERVATION_NO_SHOW: ("guest",),
    Event.RESERVATION_REMINDER: ("guest",),
    Event.HOLD_EXPIRING: (),  # whoever must act: data["waiting_for"]
    # The waitlisted user, who is the guest of the hold placed for them, and the host.
    Event.WAITLIST_OFFERED: ("guest", "host"),
    Event.PAYMENT_RECORDED: (),  # for webhooks (workers/webhooks.py), no email
    Event.WEBHOOKS_DUE: (),
}

# Events whose host copy the host chooses, by the listing's setting (a column of _NOTICE_FACTS):
# ALWAYS, NEVER, or WHEN_AUTOMATIC (the default): when the scheduler made the change
# (data["by"] == "clock"), as the host did not act themselves.
_HOST_COPY_SETTING = {
    Event.RESERVATION_CHECKED_IN: "notify_host_on_check_in",
    Event.RESERVATION_NO_SHOW: "notify_host_on_no_show",
}

# Reminders and warnings are written ahead of time; by delivery the booking may be past them.
_STILL_DUE = {
    Event.HOLD_EXPIRING: {ReservationStatus.PENDING},
    Event.WAITLIST_OFFERED: {ReservationStatus.PENDING},
    Event.RESERVATION_REMINDER: {ReservationStatus.PENDING, ReservationStatus.CONFIRMED},
}

_host = aliased(User, name="host")
_guest = aliased(User, name="guest")

_NOTICE_FACTS = (
    select(
        OutboxMessage.id.label("outbox_id"),
        OutboxMessage.event,
        OutboxMessage.data,
        Reservation.id.label("reservation_id"),
        Reservation.status,
        Reservation.guest_name,
        Reservation.start_date,
        Reservation.end_date,
        Reservation.starts_at,
        Reservation.ends_at,
        Reservation.quantity,
        Reservation.party_size,
        Reservation.adults,
        Reservation.children,
        Reservation.special_requests,
        Reservation.total_amount,
        Reservation.price_snapshot,
        Reservation.currency,
        Reservation.expires_at,
        Reservation.cancel_reason,
        Listing.id.label("listing_id"),
        Listing.title,
        Listing.kind,
        Listing.city,
        Listing.country,
        Listing.timezone,
        Listing.check_in_time,
        Listing.check_out_time,
        Listing.instant_book,
        Listing.notify_host_on_check_in,
        Listing.notify_host_on_no_show,
        _host.email.label("host_email"),
        _host.name.label("host_name"),
        _guest.email.label("guest_email"),
        _guest.name.label("guest_account_name"),
        Payment.amount.label("payment_amount"),
        Payment.status.label("payment_status"),
        Payment.refunded_amount,
    )
    .join(Reservation, Reservation.id == OutboxMessage.reservation_id)
    .join(Listing, Listing.id == Reservation.listing_id)
    .join(_host, _host.id == Listing.owner_id)
    .outerjoin(_guest, _guest.id == Reservation.guest_id)
    .outerjoin(Payment, Payment.reservation_id == Reservation.id)
)


async def notices_for(session: AsyncSession, outbox_id: int) -> list[Notice]:
    """One notice per recipient of the outbox row; [] when the row or its reservation is
    gone, when the news is stale, or when the one to tell has no account (booked by name).
    An event name this module does not know raises ValueError."""
    row = (await session.execute(_NOTICE_FACTS.where(OutboxMessage.id == outbox_id))).one_or_none()
    if row is None:
        return []
    event = Event(row.event)
    if event in _STILL_DUE and row.status not in _STILL_DUE[event]:
        return []
    booking = _booking(row)
    if event is Event.HOLD_EXPIRING and _waiting_for(booking) != row.data.get("waiting_for"):
        return []  # paid since the warning was written: someone else must act now
    notices = []
    for role in _audience(event, row):
        recipient = booking.host if role == "host" else booking.guest
        if recipient is not None:
            notices.append(Notice(row.outbox_id, event.value, role, recipient, booking, row.data))
    return notices


def _waiting_for(booking: Booking) -> str:
    return "host" if booking.paid else "payment"


def _audience(event: Event, row: Row) -> tuple[Role, ...]:
    if event is Event.HOLD_EXPIRING:
        return ("host",) if row.data.get("waiting_for") == "host" else ("guest",)
    if event is Event.RESERVATION_CONFIRMED and not row.instant_book:
        return ("guest",)  # the host confirmed it themselves
    if event in _HOST_COPY_SETTING:
        setting = HostNotice(getattr(row, _HOST_COPY_SETTING[event]))
        automatic = row.data.get("by") == "clock"
        if setting is HostNotice.ALWAYS or (setting is HostNotice.WHEN_AUTOMATIC and automatic):
            return ("guest", "host")
    return AUDIENCE[event]


def _booking(row: Row) -> Booking:
    guest = Person(row.guest_email, row.guest_account_name) if row.guest_email else None
    return Booking(
        reservation_id=row.reservation_id,
        status=row.status.value,
        listing_id=row.listing_id,
        listing_title=row.title,
        listing_kind=row.kind.value,
        city=row.city,
        country=row.country,
        timezone=row.timezone,
        host=Person(row.host_email, row.host_name),
        guest=guest,
        guest_name=row.guest_name,
        start_date=row.start_date,
        end_date=row.end_date,
        check_in_time=row.check_in_time,
        check_out_time=row.check_out_time,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        quantity=row.quantity,
        party_size=row.party_size,
        adults=row.adults,
        children=row.children,
        special_requests=row.special_requests,
        total=row.total_amount,
        currency=row.currency,
        expires_at=row.expires_at,
        cancel_reason=row.cancel_reason,
        refunded=row.refunded_amount or None,
        instant_book=row.instant_book,
        paid=row.payment_amount if row.payment_status in SETTLED else None,
        price_lines=_price_lines(row.price_snapshot),
        no_show_refund_percent=((row.price_snapshot or {}).get("policy") or {}).get(
            "noShowRefundPercent", 0
        ),
    )


def _price_lines(snapshot: dict[str, Any]) -> tuple[PriceLine, ...]:
    return tuple(
        PriceLine(item["description"], Decimal(item["amount"]), bool(item.get("included")))
        for item in snapshot.get("lineItems", ())
        if item["kind"] in (DISCOUNT, TAX)
    )
