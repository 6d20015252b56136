import uuid
from datetime import date, datetime

import strawberry

from bookwell import models
from bookwell.core.ids import global_id
from bookwell.graphql.booking.types import Reservation
from bookwell.graphql.context import Info
from bookwell.graphql.listings.types import Listing
from bookwell.graphql.shared.enums import describe_enum
from bookwell.graphql.shared.errors import UserError
from bookwell.graphql.shared.node import Node
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.waitlist.entries import WaitlistEntryRecord, effective_status

WaitlistStatus = models.WaitlistStatus
describe_enum(
    WaitlistStatus,
    name="WaitlistStatus",
    description="Where a waitlist entry stands: WAITING, then OFFERED, then BOOKED or LAPSED; "
    "a WAITING or OFFERED entry may be LEFT.",
    values={
        "WAITING": "In line for its range; `position` says where.",
        "OFFERED": "Units freed up: `offer` is a PENDING hold of them for the guest, for the "
        "listing's offerMinutes; pay it to book.",
        "BOOKED": "The offer's hold was confirmed: it is a reservation now (see `offer`).",
        "LAPSED": "Over without a booking: the offer expired or was cancelled, or the stay's "
        "start (a slot listing's startsAt) passed while waiting.",
        "LEFT": "The guest left the waitlist (leaveWaitlist).",
    },
)


@strawberry.type(
    description="A wish for a full range of nights or a full time slot: offered a hold when "
    "units free up."
)
class WaitlistEntry(Node):
    database_id: uuid.UUID = strawberry.field(
        description="The entry's UUIDv7 as stored (sortable by creation time), for SQL and "
        "analysts; inputs accept it wherever they take this entry's id."
    )
    start_date: date = strawberry.field(
        description="The first night wanted, in the listing's timezone (slot listings: the "
        "local date of startsAt)."
    )
    end_date: date = strawberry.field(
        description="Check-out day: the range is [startDate, endDate) (slot listings: the day "
        "after startDate)."
    )
    nights: int = strawberry.field(description="endDate - startDate.")
    quantity: int = strawberry.field(
        description="Units wanted on every night (slot listings: for the whole window)."
    )
    starts_at: datetime | None = strawberry.field(
        description="Slot listings: the start of the window wanted; null for stays."
    )
    ends_at: datetime | None = strawberry.field(
        description="Slot listings: the end (excluded) of the window wanted; null for stays."
    )
    party_size: int | None = strawberry.field(
        description="Slot listings: the party (a restaurant's table must seat it); null otherwise."
    )
    adults: int | None = strawberry.field(
        description="Adults coming, as joined; carried into the offer's booking. Null: not said."
    )
    children: int | None = strawberry.field(
        description="Children coming, as joined; carried into the offer's booking."
    )
    special_requests: str | None = strawberry.field(
        description="What the guest asks the host, as joined (plain text); carried into the "
        "offer's booking."
    )
    status: WaitlistStatus = strawberry.field(description="Where the entry stands, as of now.")
    position: int | None = strawberry.field(
        description="While WAITING: 1 for the listing's oldest waiting entry, 2 for the next. "
        "Offers go to the oldest entry whose whole range fits the freed units."
    )
    created_at: datetime = strawberry.field(
        description="When the guest joined: older entries are offered first."
    )
    offered_at: datetime | None = strawberry.field(
        description="When units were offered; null before an offer."
    )
    offer: Reservation | None = strawberry.field(
        description="The PENDING hold offered to you; book it by paying before its expiresAt."
    )
    listing_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The listing waited for.")
    async def listing(self, info: Info) -> Listing:
        return Listing.from_row(await info.context.loaders.listing.load(self.listing_id))

    @classmethod
    def from_row(cls, row: WaitlistEntryRecord, offer: ReservationRecord | None) -> "WaitlistEntry":
        status = effective_status(row)
        return cls(
            id=global_id("WaitlistEntry", row.id),
            database_id=row.id,
            start_date=row.start_date,
            end_date=row.end_date,
            nights=(row.end_date - row.start_date).days,
            quantity=row.quantity,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            party_size=row.party_size,
            adults=row.adults,
            children=row.children,
            special_requests=row.special_requests,
            status=status,
            position=row.position if status is models.WaitlistStatus.WAITING else None,
            created_at=row.created_at,
            offered_at=row.offered_at,
            offer=Reservation.from_row(offer) if offer else None,
            listing_id=row.listing_id,
        )


@strawberry.input(
    description="What to wait for: `quantity` units on every night of [startDate, endDate) of "
    "a STAY listing, in its timezone; or, at a RESTAURANT, SPACE or EQUIPMENT listing, a time "
    "window [startsAt, endsAt) (a table for partySize, or `quantity` rooms or items)."
)
class JoinWaitlistInput:
    listing_id: strawberry.ID = strawberry.field(
        description="The listing: a STAY (give startDate) or a slot listing (give startsAt)."
    )
    start_date: date | None = strawberry.field(
        default=None,
        description="STAY listings: the first night wanted; not before today in the listing's "
        "timezone.",
    )
    end_date: date | None = strawberry.field(
        default=None, description="Check-out day. Give endDate or nights, not both."
    )
    nights: int | None = strawberry.field(
        default=None, description="Nights wanted, 1 to 365, instead of endDate."
    )
    quantity: int = strawberry.field(
        default=1,
        description="Units wanted on every night (a slot listing: for the whole window), 1 to "
        "the listing's units; a restaurant's party takes one table: 1.",
    )
    starts_at: datetime | None = strawberry.field(
        default=None,
        description="Slot listings (RESTAURANT, SPACE, EQUIPMENT): the start wanted, with its "
        "UTC offset, on the listing's slot grid and in its hours, not in the past.",
    )
    ends_at: datetime | None = strawberry.field(
        default=None,
        description="Slot listings: the end wanted, a whole number of slots after startsAt. "
        "Default: a restaurant's sitting, or one slot.",
    )
    party_size: int | None = strawberry.field(
        default=None,
        description="Restaurants (required there unless adults are given): the party a table "
        "must seat, at least 1. With adults, it must equal adults + children.",
    )
    adults: int | None = strawberry.field(
        default=None,
        description="Adults coming, at least 1: with children, at most the listing's maxGuests "
        "x quantity (else TOO_MANY_GUESTS). Carried into the booking an offer makes.",
    )
    children: int | None = strawberry.field(
        default=None, description="Children coming (0 or more); give adults too."
    )
    special_requests: str | None = strawberry.field(
        default=None,
        description="What the guest asks the host: plain text, at most 2000 characters, as "
        "bookings take it. Carried into the booking an offer makes.",
    )


@strawberry.type(
    description="What joinWaitlist and leaveWaitlist answer: the entry as it is now, or why not."
)
class WaitlistEntryPayload:
    waitlist_entry: WaitlistEntry | None = strawberry.field(
        default=None, description="The entry after the change; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )
