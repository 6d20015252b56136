"""Refusing, without a round trip, what PostgreSQL has just refused (issue 18, contended
rounds).

When a hot listing's last units go, a hundred requests for the same nights wait in this
process's queue for the listing (flows/listing_gate.py), and each used to ask PostgreSQL in
turn, under the listing's lock, only to hear "a night is full". Once book_stay has said so
to one of them, the answer for the others is known, and is the same:

- a request that was already waiting when that statement was sent overlaps it in time, so
  PostgreSQL may as well have decided it right after it, on the same rows (linearizable);
- there, book_stay would answer it as it answered the first: same listing, same terms
  version, same nights, no fewer units, no idempotency key to replay, and a guest who is
  not at their cap of unpaid holds on the listing (book_stay counts those first, and
  answers HOLD_LIMIT; its refusal names those guests: migration 0033);
- anything else, and any request that came after the statement was sent, asks PostgreSQL.

Order is kept with tickets of one counter: a request takes one as it starts to wait, a
statement one before it is sent.
"""

import itertools
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from bookwell.core.db import Database
from bookwell.core.per_database import PerDatabase

# Refusals kept, by listing and nights: only requests in flight can use one.
KEPT = 1024


@dataclass(frozen=True, slots=True)
class FullNights:
    """One full-night refusal of book_stay, and the ticket its statement took when sent."""

    sent: int
    quantity: int
    terms_version: int
    guests_at_cap: frozenset[uuid.UUID]


@dataclass(frozen=True, slots=True)
class Request:
    """What the refusal is compared with: who asks what, and when they started waiting."""

    entered: int
    listing_id: uuid.UUID
    start: date
    end: date
    quantity: int
    terms_version: int
    guest_id: uuid.UUID


class FullNightsMemo:
    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self.refused = 0  # requests answered from a refusal (tests and benchmarks read it)
        self._tickets = itertools.count()
        self._found: OrderedDict[tuple[uuid.UUID, date, date], FullNights] = OrderedDict()

    def ticket(self) -> int:
        return next(self._tickets)

    def remember(self, asked: Request, sent: int, guests_at_cap: frozenset[uuid.UUID]) -> None:
        """book_stay refused `asked`, whose statement took ticket `sent`: a night is full."""
        key = (asked.listing_id, asked.start, asked.end)
        known = self._found.get(key)
        if known is not None and known.sent > sent:
            return  # a later statement's refusal covers more requests
        self._found[key] = FullNights(sent, asked.quantity, asked.terms_version, guests_at_cap)
        self._found.move_to_end(key)
        if len(self._found) > self.kept:
            self._found.popitem(last=False)

    def refuses(self, asked: Request) -> bool:
        """Whether book_stay has already answered `asked` "a night is full", as above."""
        known = self._found.get((asked.listing_id, asked.start, asked.end))
        refused = (
            known is not None
            and asked.entered < known.sent
            and asked.quantity >= known.quantity
            and asked.terms_version == known.terms_version
            and asked.guest_id not in known.guests_at_cap
        )
        self.refused += refused
        return refused


def guests_named(detail: str | None) -> frozenset[uuid.UUID]:
    """The guests at their cap that book_stay's full-night refusal names (migration 0033)."""
    return frozenset(uuid.UUID(text) for text in (detail or "").split(",") if text)


_memos = PerDatabase(FullNightsMemo)


def full_nights_of(db: Database) -> FullNightsMemo:
    return _memos.of(db)
