"""Scheduled notices: the reminder before a stay or slot, and the warning before a hold
runs out. Each is an outbox row with a dedupe key, written by one INSERT ... SELECT ...
ON CONFLICT DO NOTHING, so however often and in however many schedulers this runs, each
reservation hears of each once.

The keys name what the notice is about, so a change makes a new one: new dates, a new
reminder; a paid hold's new deadline (the host's turn), a new warning.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import (
    Listing,
    OutboxMessage,
    Reservation,
    ReservationStatus,
)
from bookwell.models.payment import reservation_paid
from bookwell.services.booking.clock import begins_at
from bookwell.services.notifications.outbox import Event

# An instant in a dedupe key: UTC, ISO 8601, to the microsecond, whatever the session's zone.
_SQL_INSTANT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
_PY_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"


def reminder_key(reservation_id: uuid.UUID, begins: datetime) -> str:
    return f"reminder:{reservation_id}:{begins.astimezone(UTC).strftime(_PY_INSTANT)}"


def hold_expiring_key(reservation_id: uuid.UUID, expires_at: datetime) -> str:
    return f"hold.expiring:{reservation_id}:{expires_at.astimezone(UTC).strftime(_PY_INSTANT)}"


def _key(prefix: str, instant: SQLColumnExpression[datetime | None]) -> ColumnElement[str]:
    """`reminder_key` / `hold_expiring_key` in SQL."""
    utc = func.to_char(func.timezone("UTC", instant), _SQL_INSTANT)
    return func.concat(prefix, ":", Reservation.id.cast(String), ":", utc)


async def _record_new(*, session: AsyncSession, rows: Select[*tuple[Any, ...]]) -> int:
    """Insert the selected (event, reservation_id, data, dedupe_key) rows that are new."""
    stmt = (
        insert(OutboxMessage)
        .from_select(["event", "reservation_id", "data", "dedupe_key"], rows)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    return len((await session.execute(stmt)).all())


async def enqueue_reminders(*, session: AsyncSession, hours: int) -> int:
    """A RESERVATION_REMINDER for each CONFIRMED reservation beginning within `hours` (and
    not yet begun); how many were new."""
    begins = begins_at()
    rows = select(
        literal(Event.RESERVATION_REMINDER.value),
        Reservation.id,
        func.jsonb_build_object(),
        _key("reminder", begins),
    ).where(
        Reservation.listing_id == Listing.id,
        Reservation.status == ReservationStatus.CONFIRMED,
        Reservation.external_uid.is_(None),  # a calendar block has nobody to remind
        begins > func.now(),
        begins <= func.now() + timedelta(hours=hours),
    )
    return await _record_new(session=session, rows=rows)


async def warn_expiring_holds(*, session: AsyncSession, minutes: int) -> int:
    """A HOLD_EXPIRING for each PENDING hold that runs out within `minutes` (and has not
    yet), waiting for the host when paid, else for the guest's payment; how many were new."""
    paid = reservation_paid()
    waiting_for = case((paid, literal("host")), else_=literal("payment"))
    rows = select(
        literal(Event.HOLD_EXPIRING.value),
        Reservation.id,
        func.jsonb_build_object("waiting_for", waiting_for),
        _key("hold.expiring", Reservation.expires_at),
    ).where(
        Reservation.status == ReservationStatus.PENDING,
        Reservation.expires_at > func.now(),
        Reservation.expires_at <= func.now() + timedelta(minutes=minutes),
    )
    return await _record_new(session=session, rows=rows)
