"""Events someone must hear about, written to the outbox in the caller's transaction.

A service records an event beside the change that causes it, so a rolled-back change
records nothing and a committed one is never lost: the relay (workers/relay.py) moves rows
to the queue after commit, however long the queue was away. Rows carry ids and small facts
known only at the moment (old dates, who cancelled), and the id of the request (or job) that
caused them, which the relay hands on to the worker's log lines; the worker reads everything
else fresh when it delivers.
"""

import enum
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.request_scope import current_request_id
from bookwell.models import OutboxMessage


class Event(enum.StrEnum):
    """Outbox event names, and who hears of each (workers/notices.py builds the messages)."""

    # The host (new booking or request) and the guest (booking received).
    RESERVATION_CREATED = "reservation.created"
    # The guest: the host accepted, or payment confirmed an instant booking (then the host too).
    RESERVATION_CONFIRMED = "reservation.confirmed"
    # The host: a paid request waits for approval until `expires_at`.
    RESERVATION_AWAITING_APPROVAL = "reservation.awaiting_approval"
    # Guest and host. data: old_start_date, old_end_date, old_quantity.
    RESERVATION_CHANGED = "reservation.changed"
    # Guest and host. data: by ("guest" | "host" | "waitlist"), reason. The refund is read
    # from the payment when the message is written (a cancellation refunds in its own
    # transaction, so it is there by then).
    RESERVATION_CANCELLED = "reservation.cancelled"
    # Guest and host: the hold ran out (unpaid, or the host never answered: the sweep
    # refunds it after the expiry commits, so the message may say "refund on its way").
    RESERVATION_EXPIRED = "reservation.expired"
    # The guest: thanks, and an invitation to review.
    RESERVATION_COMPLETED = "reservation.completed"
    # The guest: checked in (ACTIVE); the host too when the clock did it. data: by
    # ("host" | "clock").
    RESERVATION_CHECKED_IN = "reservation.checked_in"
    # The guest: marked a no-show (services/booking/no_show.py); the host too when the
    # scheduler marked it. data: by ("host" | "clock").
    RESERVATION_NO_SHOW = "reservation.no_show"
    # The guest, the day before check-in or the slot. dedupe_key: reminder:<id>:<start>.
    RESERVATION_REMINDER = "reservation.reminder"
    # Whoever must act before `expires_at`: the guest (pay) or the host (approve).
    # data: waiting_for ("payment" | "host"). dedupe_key: hold.expiring:<id>:<expires_at>.
    HOLD_EXPIRING = "hold.expiring"
    # The waitlisted guest and the host: a hold was placed for the guest (reservation_id)
    # until `expires_at`.
    WAITLIST_OFFERED = "waitlist.offered"
    # Nobody by email (the guest's confirmation says it); webhooks only. dedupe_key:
    # payment.recorded:<payment id>.
    PAYMENT_RECORDED = "payment.recorded"
    # Nobody by email: webhook deliveries due now (a replay, an endpoint enabled again).
    # data: endpoint_id, or delivery_id (services/webhooks).
    WEBHOOKS_DUE = "webhooks.due"


# Events nobody is emailed about (their audience is empty): for webhooks only.
NOT_EMAILED = frozenset({Event.PAYMENT_RECORDED, Event.WEBHOOKS_DUE})


async def record(
    *,
    session: AsyncSession,
    event: Event,
    reservation_id: uuid.UUID | None = None,
    waitlist_entry_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Write one event in the session's transaction; its id, or None when `dedupe_key` was
    recorded before (by this or another scheduler)."""
    values = {
        "event": event.value,
        "reservation_id": reservation_id,
        "waitlist_entry_id": waitlist_entry_id,
        "data": data or {},
        "dedupe_key": dedupe_key,
        "request_id": current_request_id(),
    }
    stmt = pg_insert(OutboxMessage).values(**values)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return (await session.execute(stmt.returning(OutboxMessage.id))).scalar_one_or_none()


async def purge_delivered(*, session: AsyncSession, older_than: timedelta) -> int:
    """Forget events delivered more than `older_than` ago (their log rows go with them);
    undelivered ones stay, for `bookwell outbox status` to show."""
    stmt = delete(OutboxMessage).where(OutboxMessage.delivered_at < func.now() - older_than)
    # A DML statement's result is a CursorResult (execute() is typed for any statement).
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount


async def record_each(
    *,
    session: AsyncSession,
    event: Event,
    reservation_ids: Iterable[uuid.UUID],
    data: dict[str, Any] | None = None,
) -> None:
    """The same event (and `data`) for several reservations, in one statement."""
    request_id = current_request_id()
    rows = [
        {"event": event.value, "reservation_id": rid, "request_id": request_id, "data": data or {}}
        for rid in reservation_ids
    ]
    if rows:
        await session.execute(insert(OutboxMessage), rows)
