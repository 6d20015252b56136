import dataclasses
import uuid
from datetime import date, datetime
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from bookwell.context import Info
from bookwell.schema.enums import ReservationStatus
from bookwell.schema.execution import prefetched_as
from bookwell.schema.listing import Listing
from bookwell.schema.money import Money
from bookwell.schema.payment import Payment, reservation_payment
from bookwell.schema.pricing import Quote
from bookwell.schema.review import Review, reservation_review
from bookwell.schema.units import ListingUnit, reservation_units
from bookwell.schema.user import User


@strawberry.type
class Reservation:
    id: strawberry.ID
    guest_name: str
    start_date: date
    end_date: date = strawberry.field(
        description="Check-out day: the range is [startDate, endDate)."
    )
    nights: int
    quantity: int
    status: ReservationStatus
    total_price: Money
    created_at: datetime
    expires_at: datetime | None = strawberry.field(
        description="A PENDING hold gives its units back at this instant unless confirmed."
    )
    confirmed_at: datetime | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    starts_at: datetime | None = strawberry.field(
        description="Time-slot reservations: [startsAt, endsAt); null for stays."
    )
    ends_at: datetime | None
    party_size: int | None = strawberry.field(description="Restaurants: the party seated.")
    price_snapshot: strawberry.Private[dict[str, Any]]
    listing_id: strawberry.Private[uuid.UUID]
    guest_id: strawberry.Private[uuid.UUID | None]
    # Filled by a connection's look-ahead (schema/lookahead.py); else the fields return an
    # awaitable from the dataloaders (graphql-core awaits it).
    prefetched: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @strawberry.field(metadata=prefetched_as(lambda arguments: "listing"))
    def listing(self, info: Info) -> Listing:
        return self.prefetched.get("listing") or self._load_listing(info)

    async def _load_listing(self, info: Info) -> Listing:
        return Listing.from_row(await info.context.loaders.listing.load(self.listing_id))

    @strawberry.field(metadata=prefetched_as(lambda arguments: "guest"))
    def guest(self, info: Info) -> User | None:
        if "guest" in self.prefetched or self.guest_id is None:
            return self.prefetched.get("guest")
        return self._load_guest(info, self.guest_id)

    async def _load_guest(self, info: Info, guest_id: uuid.UUID) -> User | None:
        row = await info.context.loaders.user.load(guest_id)
        return User.from_row(row) if row else None

    @strawberry.field(
        description="What the guest paid; UNPAID with the total until then.",
        metadata=prefetched_as(lambda arguments: "payment"),
    )
    def payment(self, info: Info) -> Payment:
        if "payment" in self.prefetched:
            return self.prefetched["payment"]
        return reservation_payment(info, uuid.UUID(self.id), self.total_price)

    @strawberry.field(description="The guest's review of this stay, if there is one.")
    async def review(self, info: Info) -> Review | None:
        return await reservation_review(info, uuid.UUID(self.id))

    @strawberry.field(
        description="The price as agreed at booking (or at the last change of dates), "
        "line by line, with its cancellation policy."
    )
    def price(self) -> Quote | None:
        return Quote.of(self.price_snapshot) if self.price_snapshot else None

    @strawberry.field(description="Time-slot reservations: the table, rooms or items taken.")
    async def units(self, info: Info) -> list[ListingUnit]:
        if self.starts_at is None:
            return []
        return await reservation_units(info, uuid.UUID(self.id))

    @classmethod
    def from_row(cls, row: Row) -> "Reservation":
        return cls(
            id=strawberry.ID(str(row.id)),
            guest_name=row.guest_name,
            start_date=row.start_date,
            end_date=row.end_date,
            nights=(row.end_date - row.start_date).days,
            quantity=row.quantity,
            status=row.status,
            total_price=Money.of(row.total_amount, row.currency),
            created_at=row.created_at,
            expires_at=row.expires_at,
            confirmed_at=row.confirmed_at,
            checked_in_at=row.checked_in_at,
            checked_out_at=row.checked_out_at,
            cancelled_at=row.cancelled_at,
            cancel_reason=row.cancel_reason,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            party_size=row.party_size,
            price_snapshot=row.price_snapshot,
            listing_id=row.listing_id,
            guest_id=row.guest_id,
        )
