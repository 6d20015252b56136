"""The one way a flow runs its writes: in one transaction, committed on success and rolled
back on any exception (a DomainError included: a refusal changes nothing)."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database

T = TypeVar("T")

Work = Callable[[AsyncSession], Awaitable[T]]


async def in_one_transaction(db: Database, work: Work[T]) -> T:
    """`work` in a session of its own whose transaction commits when it returns."""
    async with db.transaction() as session:
        return await work(session)
