"""Idempotency keys are kept for a while, then forgotten: a client retrying later than that
makes a new request (the scheduler purges them, after `idempotency_key_ttl_hours`)."""

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import check_text, invalid
from bookwell.models import IdempotencyKey

MAX_KEY_LENGTH = 200


def check_idempotency_key(key: str) -> str:
    check_text(key, "idempotencyKey")
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise invalid("idempotencyKey", f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters.")
    return key


async def purge_idempotency_keys(*, session: AsyncSession, older_than: timedelta) -> int:
    """Delete the keys created more than `older_than` ago; how many went."""
    stmt = delete(IdempotencyKey).where(IdempotencyKey.created_at < func.now() - older_than)
    # A DML statement's result is a CursorResult (execute() is typed for any statement).
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount
