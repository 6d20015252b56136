"""Each process remembers the terms of the listings it books (issue 18: a booking then reads
nothing before its one statement).

An entry carries the listing's `terms_version`, which the database counts up at any change
of the listing's row or of its price rules (migration 0022) and announces with NOTIFY
bookwell_listing_terms; `follow_terms_changes` drops the entries those notifications name
(and every entry after a reconnect, when some may have been missed). Notifications only
save work: the booking statement (services/booking/stay_statement.py) refuses a price made
from another version than the row it locks, so a stale entry costs a retry, never a wrong
price.
"""

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Uuid, bindparam, select

from bookwell.core.db import Database
from bookwell.core.per_database import PerDatabase
from bookwell.core.pg_listen import Listener
from bookwell.core.statements import DriverStatement
from bookwell.models import Listing, ListingKind
from bookwell.services.listings.pricing import TERMS_COLUMNS, Terms, terms_of

CHANNEL = "bookwell_listing_terms"


@dataclass(frozen=True, slots=True)
class StayTerms:
    """What booking a listing needs to know before its statement: its kind and size, the
    limits of one hold, and the terms a price is made from, as of `version`."""

    listing_id: uuid.UUID
    version: int
    kind: ListingKind
    units: int
    timezone: str
    max_hold_nights: int
    max_hold_units: int
    terms: Terms


_COLUMNS = (*TERMS_COLUMNS, Listing.max_hold_nights, Listing.max_hold_units, Listing.terms_version)
# Built once, sent as its text: a booking on a listing not yet remembered reads it first.
_STATEMENT = DriverStatement(select(*_COLUMNS).where(Listing.id == bindparam("id", type_=Uuid)))


class _Named:
    """An asyncpg record read by attribute, as terms_of reads SQLAlchemy's rows."""

    __slots__ = ("_record",)

    def __init__(self, record: asyncpg.Record) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        return self._record[name]


def _stay_terms(row: Any) -> StayTerms:
    return StayTerms(
        listing_id=row.id,
        version=row.terms_version,
        kind=ListingKind(row.kind),
        units=row.units,
        timezone=row.timezone,
        max_hold_nights=row.max_hold_nights,
        max_hold_units=row.max_hold_units,
        terms=terms_of(row),
    )


class TermsCache:
    def __init__(self, *, max_entries: int = 10_000):
        self.max_entries = max_entries
        self._entries: dict[uuid.UUID, StayTerms] = {}

    def get(self, listing_id: uuid.UUID) -> StayTerms | None:
        return self._entries.get(listing_id)

    async def load(self, driver: asyncpg.Connection, listing_id: uuid.UUID) -> StayTerms | None:
        """The listing's terms as they are now (one statement on the pool's asyncpg
        connection, `Database.raw_read`), remembered; None: no such listing."""
        row = await driver.fetchrow(_STATEMENT.text, *_STATEMENT.arguments(id=listing_id))
        if row is None:
            return None
        found = _stay_terms(_Named(row))
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # rare: a bound, not an eviction policy
        self._entries[listing_id] = found
        return found

    def forget(self, listing_id: uuid.UUID) -> None:
        self._entries.pop(listing_id, None)

    def forget_all(self) -> None:
        self._entries.clear()

    def heard(self, payload: str | None) -> None:
        """A notification's payload: a listing id, or None (resync: forget everything)."""
        if payload is None:
            self.forget_all()
            return
        try:
            self.forget(uuid.UUID(payload))
        except ValueError:
            self.forget_all()


_caches = PerDatabase(TermsCache)


def terms_cache_of(db: Database) -> TermsCache:
    return _caches.of(db)


async def follow_terms_changes(
    db: Database, listener: Listener, subscribed: asyncio.Event | None = None
) -> None:
    """Forget the terms the database says changed, until cancelled (the app's lifespan runs
    it beside the listener); `subscribed` is set once nothing committed can be missed."""
    cache = terms_cache_of(db)
    async with listener.subscribe(CHANNEL) as changes:
        cache.forget_all()  # what was read before the subscription may have missed a change
        if subscribed is not None:
            subscribed.set()
        while True:
            cache.heard(await changes.get())


async def start_following(db: Database, listener: Listener) -> "asyncio.Task[None]":
    """The follower, once subscribed: never cancelled halfway through subscribing (the
    listener's lock is taken there)."""
    subscribed = asyncio.Event()
    task = asyncio.create_task(
        follow_terms_changes(db, listener, subscribed), name="bookwell-terms-cache"
    )
    waiting = asyncio.ensure_future(subscribed.wait())
    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    return task


async def stop_following(task: "asyncio.Task[None]") -> None:
    task.cancel()
    await asyncio.wait([task], timeout=STOP_SECONDS)


STOP_SECONDS = 5.0
