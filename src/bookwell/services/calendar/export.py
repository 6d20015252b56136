"""A listing's booked ranges as an iCalendar feed, for hosts to subscribe to from other
calendars and channel managers.

Every reservation that takes or took units (PENDING, CONFIRMED, ACTIVE, COMPLETED), blocks
imported from other calendars included, ending at most LOOKBACK_DAYS ago. A stay is an
all-day event over its nights (DTEND is the check-out day, exclusive, as in iCalendar); a
slot a timed event in the listing's timezone. UIDs are `{reservation_id}@bookwell`, as in
the booking emails (mail/ics.py), so a calendar updates an entry in place. No guest's name
or anything personal leaves: the summary says only "Booked" or "Blocked".
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.zones import zone_info
from bookwell.models import Listing, Reservation, ReservationStatus
from bookwell.services.listings.stays import today_in

BOOKED_STATUSES = (
    ReservationStatus.PENDING,
    ReservationStatus.CONFIRMED,
    ReservationStatus.ACTIVE,
    ReservationStatus.COMPLETED,
)
LOOKBACK_DAYS = 365
UID_SUFFIX = "@bookwell"
PRODID = "-//Bookwell//Calendar feed//EN"
AROUND = timedelta(days=366)


def uid_of(reservation_id: uuid.UUID) -> str:
    """The same UID the booking emails carry (mail/ics.py)."""
    return f"{reservation_id}{UID_SUFFIX}"


async def listing_feed(
    *, session: AsyncSession, listing_id: uuid.UUID, now: datetime | None = None
) -> str | None:
    """The feed's text, or None when there is no such listing."""
    listing = (
        await session.execute(
            select(Listing.id, Listing.title, Listing.timezone).where(Listing.id == listing_id)
        )
    ).one_or_none()
    if listing is None:
        return None
    since = today_in(listing.timezone, now) - timedelta(days=LOOKBACK_DAYS)
    stmt = (
        select(
            Reservation.id,
            Reservation.status,
            Reservation.start_date,
            Reservation.end_date,
            Reservation.starts_at,
            Reservation.ends_at,
            Reservation.created_at,
            Reservation.external_uid,
        )
        .where(
            Reservation.listing_id == listing_id,
            Reservation.status.in_(BOOKED_STATUSES),
            Reservation.end_date > since,
        )
        .order_by(Reservation.start_date, Reservation.id)
    )
    rows = (await session.execute(stmt)).all()
    return render_feed(listing, rows, now=now or datetime.now(UTC))


def render_feed(
    listing: Row[*tuple[Any, ...]], reservations: Sequence[Row[*tuple[Any, ...]]], *, now: datetime
) -> str:
    zone = zone_info(listing.timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{listing.title} (Bookwell)")
    calendar.add("x-wr-timezone", listing.timezone)
    timed: list[datetime] = []
    for row in reservations:
        event = _event(row, zone, now)
        if row.starts_at is not None:
            timed.append(row.starts_at)
        calendar.add_component(event)
    if timed:
        # The zone's rules around the slots only: a small feed, valid past 2038 too.
        calendar.add_missing_timezones(
            first_date=min(timed).date() - AROUND, last_date=max(timed).date() + AROUND
        )
    feed: bytes = calendar.to_ical()
    return feed.decode()


def _event(row: Row[*tuple[Any, ...]], zone: ZoneInfo, now: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid_of(row.id))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("created", row.created_at.astimezone(UTC))
    if row.starts_at is not None and row.ends_at is not None:
        event.add("dtstart", row.starts_at.astimezone(zone))
        event.add("dtend", row.ends_at.astimezone(zone))
    else:
        # Dates, not datetimes: icalendar writes them as VALUE=DATE (all-day).
        event.add("dtstart", row.start_date)
        event.add("dtend", row.end_date)
    event.add("summary", "Blocked" if row.external_uid is not None else "Booked")
    tentative = row.status is ReservationStatus.PENDING
    event.add("status", "TENTATIVE" if tentative else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event
