"""The events an endpoint may hear of, and the body each delivery carries.

Each is an outbox event (services/notifications/outbox.py) under the same name. The body
follows the Standard Webhooks payload shape, `{"type", "timestamp", "data"}`, written once
when the delivery is made: every attempt and replay sends the same bytes.
"""

import enum
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.ids import global_id
from bookwell.models import Listing, OutboxMessage, Payment, Reservation
from bookwell.services.notifications.outbox import Event


class WebhookEvent(enum.StrEnum):
    RESERVATION_CREATED = Event.RESERVATION_CREATED.value
    RESERVATION_CONFIRMED = Event.RESERVATION_CONFIRMED.value
    RESERVATION_CHANGED = Event.RESERVATION_CHANGED.value
    RESERVATION_CANCELLED = Event.RESERVATION_CANCELLED.value
    RESERVATION_EXPIRED = Event.RESERVATION_EXPIRED.value
    RESERVATION_NO_SHOW = Event.RESERVATION_NO_SHOW.value
    PAYMENT_RECORDED = Event.PAYMENT_RECORDED.value


WEBHOOK_EVENTS = frozenset(event.value for event in WebhookEvent)


def webhook_event(outbox_event: str) -> WebhookEvent | None:
    """The webhook event an outbox event is, or None for those endpoints do not hear of."""
    return WebhookEvent(outbox_event) if outbox_event in WEBHOOK_EVENTS else None


_FACTS = (
    select(
        OutboxMessage.event,
        OutboxMessage.data,
        OutboxMessage.created_at,
        Reservation.id.label("reservation_id"),
        Reservation.status,
        Reservation.guest_name,
        Reservation.start_date,
        Reservation.end_date,
        Reservation.starts_at,
        Reservation.ends_at,
        Reservation.quantity,
        Reservation.party_size,
        Reservation.total_amount,
        Reservation.currency,
        Reservation.expires_at,
        Listing.id.label("listing_id"),
        Listing.owner_id,
        Listing.title,
        Payment.id.label("payment_id"),
        Payment.status.label("payment_status"),
        Payment.amount.label("payment_amount"),
        Payment.refunded_amount,
        Payment.provider,
    )
    .join(Reservation, Reservation.id == OutboxMessage.reservation_id)
    .join(Listing, Listing.id == Reservation.listing_id)
    .outerjoin(Payment, Payment.reservation_id == Reservation.id)
)


@dataclass(frozen=True, slots=True)
class EventFacts:
    """Who hears of an outbox event, and the body each of their deliveries carries."""

    event: WebhookEvent
    owner_id: uuid.UUID
    listing_id: uuid.UUID
    body: str


async def event_facts(*, session: AsyncSession, outbox_id: int) -> EventFacts | None:
    """What a delivery of the outbox row says; None when the row or its booking is gone, or
    endpoints do not hear of its event."""
    found = (await session.execute(_FACTS.where(OutboxMessage.id == outbox_id))).one_or_none()
    event = webhook_event(found.event) if found is not None else None
    if found is None or event is None:
        return None
    return EventFacts(event, found.owner_id, found.listing_id, payload(event, found))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def payload(event: WebhookEvent, facts: Row[Any]) -> str:
    """The JSON body sent for the event, in the API's names and global ids."""
    reservation = {
        "id": global_id("Reservation", facts.reservation_id),
        "databaseId": str(facts.reservation_id),
        "listingId": global_id("Listing", facts.listing_id),
        "listingTitle": facts.title,
        "status": facts.status.value,
        "guestName": facts.guest_name,
        "startDate": _iso(facts.start_date),
        "endDate": _iso(facts.end_date),
        "startsAt": _iso(facts.starts_at),
        "endsAt": _iso(facts.ends_at),
        "quantity": facts.quantity,
        "partySize": facts.party_size,
        "totalPrice": {"amount": str(facts.total_amount), "currency": facts.currency},
        "expiresAt": _iso(facts.expires_at),
    }
    data: dict[str, Any] = {"reservation": reservation}
    if facts.payment_id is not None:
        data["payment"] = {
            "id": global_id("Payment", facts.reservation_id),
            "status": facts.payment_status.value,
            "amount": {"amount": str(facts.payment_amount), "currency": facts.currency},
            "refunded": {"amount": str(facts.refunded_amount), "currency": facts.currency},
            "provider": facts.provider,
        }
    if facts.data:
        data["details"] = {_camel(key): value for key, value in facts.data.items()}
    occurred = facts.created_at or datetime.now(UTC)
    body = {"type": event.value, "timestamp": occurred.isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"
