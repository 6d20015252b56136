"""What one listing may take from this process's connection pool (issue 16, item 7).

Bookings and changes of one listing wait for each other on its rows (its row lock, its
nights). When those rows are held long (a slow transaction, a lock held by hand, a burst on
one hot listing), every request for that listing would hold a pooled connection while it
waits, until the pool is full and reads and bookings of every other listing fail too. So at
most `per_listing` of this process's writes of one listing run at once; the others wait for
a turn without a connection, and are refused after `wait_seconds` with a retryable
ServiceUnavailable ("listing_busy": HTTP 503 with Retry-After). The database still decides
every booking; this only bounds the queue in front of it.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.core.errors import ServiceUnavailable
from bookwell.core.per_database import PerDatabase

T = TypeVar("T")

BUSY_REASON = "listing_busy"

# The turns this task holds (gate, listing): a flow that runs inside another's turn (a
# cancellation offering the units it freed to the waitlist) uses that turn, never waits
# for a second one of its own listing, which with one turn a listing would never come.
_held: ContextVar[frozenset[tuple[int, uuid.UUID]]] = ContextVar(
    "listing_turns_held", default=frozenset()
)


@dataclass
class _Turns:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass
class ListingGate:
    per_listing: int
    wait_seconds: float
    _turns: dict[uuid.UUID, _Turns] = field(default_factory=dict)

    @asynccontextmanager
    async def turn(self, listing_id: uuid.UUID) -> AsyncIterator[None]:
        """Run the body as one of the listing's `per_listing` writers, or raise
        ServiceUnavailable after waiting `wait_seconds` for a turn. Reentrant: inside a
        turn of the same listing the body runs in that turn."""
        key = (id(self), listing_id)
        held = _held.get()
        if key in held:
            yield
            return
        turns = self._turns.get(listing_id)
        if turns is None:
            turns = self._turns[listing_id] = _Turns(asyncio.Semaphore(self.per_listing))
        turns.users += 1
        try:
            if turns.semaphore.locked():
                try:
                    async with asyncio.timeout(self.wait_seconds):
                        await turns.semaphore.acquire()
                except TimeoutError:
                    raise ServiceUnavailable(BUSY_REASON) from None
            else:  # a free turn: taken at once, with no timer to arm and cancel
                await turns.semaphore.acquire()
            token = _held.set(held | {key})
            try:
                yield
            finally:
                _held.reset(token)
                turns.semaphore.release()
        finally:
            turns.users -= 1
            if turns.users == 0:  # no entry is kept for a listing nobody is writing
                del self._turns[listing_id]


def _default_gate() -> ListingGate:
    """For a database that was never given one (a CLI command, a worker, a test's)."""
    defaults = Settings.model_fields
    return ListingGate(
        defaults["listing_write_connections"].default,
        defaults["listing_write_wait_seconds"].default,
    )


_gates = PerDatabase(_default_gate)


def install_listing_gate(db: Database, settings: Settings) -> ListingGate:
    """Size the gate of `db` from the settings (the app's lifespan calls it)."""
    gate = ListingGate(settings.listing_write_connections, settings.listing_write_wait_seconds)
    return _gates.install(db, gate)


def gate_of(db: Database) -> ListingGate:
    return _gates.of(db)


async def in_listing_turn(
    db: Database, listing_id: uuid.UUID | None, work: Callable[[], Awaitable[T]]
) -> T:
    """`work` in one of the listing's turns (at once when the listing is unknown: the work
    itself answers NOT_FOUND)."""
    if listing_id is None:
        return await work()
    async with gate_of(db).turn(listing_id):
        return await work()
