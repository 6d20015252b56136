"""Idempotency keys are kept for a while, then forgotten: a client retrying later than that
makes a new request (the scheduler purges them, after `idempotency_key_ttl_hours`)."""

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import check_text, invalid
from bookwell.models import IdempotencyKey
from bookwell.services.accounts.phones import normalized_phone
from bookwell.services.listings.stays import Stay

MAX_KEY_LENGTH = 200


def check_idempotency_key(key: str) -> str:
    check_text(key, "idempotencyKey")
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise invalid("idempotencyKey", f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters.")
    return key


def input_fingerprint(fields: Mapping[str, object]) -> bytes:
    """A stable digest of a request's fields, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()


def stay_fingerprint(
    *,
    listing_id: uuid.UUID,
    booked: Stay,
    quantity: int,
    guest_name: str | None,
    voucher_code: str | None = None,
    guest_phone: str | None = None,
    **guests: Any,
) -> bytes:
    """A booking's input as what it resolves to, not how it was spelled: the same nights
    sent with `endDate` or with `nights` are the same input, and so are a guest name with
    or without spaces around it, or none and an empty one (the guest's own name), and a
    phone however it is spaced (`guest_phone`: already checked, kept as E.164)."""
    fields = {
        "listing": str(listing_id),
        "start": booked.start.isoformat(),
        "end": booked.end.isoformat(),
        "quantity": quantity,
        "guest_name": (guest_name or "").strip() or None,
        **guests,  # adults, children, special_requests: only when given
    }
    if voucher_code:  # only when given: keys of bookings without one hash as before
        fields["voucher"] = voucher_code.strip().upper()
    if guest_phone is not None:  # the same: only a booking without an account has one
        fields["guest_phone"] = normalized_phone(guest_phone, "guestPhone")
    return input_fingerprint(fields)


async def purge_idempotency_keys(*, session: AsyncSession, older_than: timedelta) -> int:
    """Delete the keys created more than `older_than` ago; how many went."""
    stmt = delete(IdempotencyKey).where(IdempotencyKey.created_at < func.now() - older_than)
    # A DML statement's result is a CursorResult (execute() is typed for any statement).
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount
