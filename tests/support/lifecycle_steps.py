"""Steps the lifecycle tests share: transactions a test drives one statement at a time (to
choose how concurrent ones interleave), and quick ways to book, pay and read back."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import Reservation
from bookwell.services.booking import holds
from bookwell.services.listings.stays import Stay, today_in

Work = Callable[[AsyncSession], Awaitable[Any]]


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: DomainError | None = None

    @property
    def won(self) -> bool:
        return self.error is None

    @property
    def code(self) -> ErrorCode | None:
        return None if self.error is None else self.error.code


class Txn:
    """One transaction in its own task, driven step by step so the test picks the
    interleaving. A DomainError ends it with a rollback, as it ends a mutation's."""

    def __init__(self, db: Database) -> None:
        self._steps: asyncio.Queue[tuple[Work, asyncio.Future] | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._serve(db))

    async def _serve(self, db: Database) -> None:
        try:
            async with db.transaction() as session:
                while (step := await self._steps.get()) is not None:
                    work, answer = step
                    try:
                        answer.set_result(Outcome(await work(session)))
                    except DomainError as error:
                        answer.set_result(Outcome(error=error))
                        raise
                    except Exception as error:
                        answer.set_exception(error)
                        raise
        except DomainError:
            pass

    def start(self, work: Work) -> asyncio.Future:
        assert not self._task.done(), "this transaction is over"
        answer = asyncio.get_running_loop().create_future()
        self._steps.put_nowait((work, answer))
        return answer

    async def run(self, work: Work) -> Outcome:
        return await self.start(work)

    async def commit(self) -> None:
        if not self._task.done():
            self._steps.put_nowait(None)
        await self._task


async def outcome_of(work: Awaitable[Any]) -> Outcome:
    """Await `work`; a DomainError becomes the outcome's error."""
    try:
        return Outcome(await work)
    except DomainError as error:
        return Outcome(error=error)


async def finish(txn: Txn, work: Work) -> Outcome:
    outcome = await txn.run(work)
    await txn.commit()
    return outcome


LOCK_WAITERS = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def until_waiting(db: Database, pending: asyncio.Future, waiters: int = 1) -> None:
    """Return once `pending` has finished or `waiters` transactions wait for a lock."""
    for _ in range(1000):
        if pending.done():
            return
        async with db.read() as session:
            if (await session.execute(LOCK_WAITERS)).scalar_one() >= waiters:
                return
        await asyncio.sleep(0.005)
    raise AssertionError("the second transaction neither finished nor waited for a lock")


def day(offset: int) -> date:
    return today_in("UTC") + timedelta(days=offset)


async def sql(db: Database, statement: str, **params: Any) -> list:
    async with db.transaction() as session:
        result = await session.execute(text(statement), params)
        return list(result) if result.returns_rows else []


async def reservation(db: Database, reservation_id: uuid.UUID) -> Any:
    stmt = select(*holds.RESERVATION_COLUMNS).where(Reservation.id == reservation_id)
    async with db.read() as session:
        return (await session.execute(stmt)).one()


async def booked(db: Database, listing_id: uuid.UUID, night: date) -> int:
    rows = await sql(
        db,
        "SELECT booked FROM listing_nights WHERE listing_id = :l AND night = :n",
        l=listing_id,
        n=night,
    )
    return rows[0].booked if rows else 0


def soon(days: int = 10) -> Stay:
    start = today_in("UTC") + timedelta(days=days)
    return Stay(start, start + timedelta(days=3))


async def hold(db, guest, listing_id, booked, **kwargs):
    async with db.transaction() as session:
        return await holds.place_hold(
            session=session,
            listing_id=listing_id,
            guest_id=guest.user_id,
            booked=booked,
            quantity=1,
            **kwargs,
        )
