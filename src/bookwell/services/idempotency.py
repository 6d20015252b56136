"""Idempotency keys are kept for a while, then forgotten: a client retrying later than that
makes a new request (the scheduler purges them, after `idempotency_key_ttl_hours`)."""

from datetime import timedelta

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import IdempotencyKey


async def purge_idempotency_keys(session: AsyncSession, *, older_than: timedelta) -> int:
    """Delete the keys created more than `older_than` ago; how many went."""
    stmt = delete(IdempotencyKey).where(IdempotencyKey.created_at < func.now() - older_than)
    return (await session.execute(stmt)).rowcount
