"""Free time slots of slot listings (restaurants, spaces, equipment)."""

from datetime import date, datetime

import strawberry

from bookwell.graphql.limits.cost import costs
from bookwell.graphql.listings.types import Listing
from bookwell.services.slots import search as slot_search

MOST_SLOTS_A_DAY = 25 * 60 // 5


@strawberry.type(description="A start time with room: [startsAt, endsAt) in the listing's zone.")
class FreeSlot:
    starts_at: datetime = strawberry.field(description="In the listing's UTC offset that day.")
    ends_at: datetime = strawberry.field(
        description="The end (excluded): startsAt plus the length asked for, in the listing's "
        "UTC offset that day."
    )
    free_units: int = strawberry.field(
        description="Units free for the whole slot (for a party: tables that seat it)."
    )

    @classmethod
    def of(cls, found: slot_search.FreeSlot) -> "FreeSlot":
        return cls(starts_at=found.starts_at, ends_at=found.ends_at, free_units=found.free_units)


@strawberry.type(description="A slot listing and its free start times on one day.")
class SlotOffer:
    listing: Listing = strawberry.field(description="The slot listing.")
    day: date = strawberry.field(name="date", description="The day, in the listing's timezone.")
    slots: list[FreeSlot] = strawberry.field(
        description="Earliest first; empty when the day is full, closed or past.",
        # As many as a day holds: 5-minute slots around the clock (and a DST hour).
        metadata=costs(size=MOST_SLOTS_A_DAY),
    )
