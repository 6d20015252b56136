"""Buffer times around slot bookings (issue 19.2): a listing's units stay taken for
`buffer_before_minutes` before each booking and `buffer_after_minutes` after it (cleaning a
room, turning a table).

PostgreSQL holds it (migration 0019): each unit a booking takes stores the listing's buffers
of that moment, and the exclusion constraint compares `occupied`, the booked range widened by
them. Two bookings whose buffered ranges overlap on one unit can never both exist. A change
of a listing's buffers applies to bookings made afterwards: each booking keeps the buffers it
was made with, as it keeps its price. Blackouts take their hours exactly (no buffers), and a
booking's buffers may not reach into a blackout either.

Reads that say what is free (search, freeUnits, waitlists) compare the same way: a unit is
busy for a slot when its `occupied` range overlaps the slot widened by the listing's buffers.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func

from bookwell.services.slots.times import Slot


@dataclass(frozen=True, slots=True)
class Buffers:
    before: int = 0  # minutes
    after: int = 0

    @classmethod
    def of(cls, listing: Any) -> "Buffers":
        """A listing's buffers (a record or a row with its columns)."""
        return cls(listing.buffer_before_minutes, listing.buffer_after_minutes)

    def widen(self, lo: datetime, hi: datetime) -> tuple[datetime, datetime]:
        """A range held by someone else, widened so that comparing it with a bare slot says
        whether the slot, with these buffers, collides with it."""
        return lo - timedelta(minutes=self.after), hi + timedelta(minutes=self.before)


NO_BUFFERS = Buffers()


def buffered(starts_at: Any, ends_at: Any, before: Any, after: Any) -> Any:
    """[starts_at - before, ends_at + after) in SQL, computed as the `occupied` column is;
    the arguments may be values or columns."""
    return func.buffered_range(func.tstzrange(starts_at, ends_at, "[)"), before, after)


def buffered_slot(slot: Slot, buffers: Buffers) -> Any:
    return buffered(slot.starts_at, slot.ends_at, buffers.before, buffers.after)
