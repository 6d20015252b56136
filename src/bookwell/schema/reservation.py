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
from bookwell.schema.rows import columns
from bookwell.schema.units import ListingUnit, reservation_units
from bookwell.schema.user import User

# A column a page did not read (Reservation.price_snapshot); the field loads it on demand.
NOT_LOADED = object()


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
    # NOT_LOADED when the row came from a page (services/reservations.py: LISTED_COLUMNS).
    price_snapshot: strawberry.Private[Any]
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
    def price(self, info: Info) -> Quote | None:
        if self.price_snapshot is NOT_LOADED:
            return self._load_price(info)
        return Quote.of(self.price_snapshot) if self.price_snapshot else None

    async def _load_price(self, info: Info) -> Quote | None:
        snapshot = await info.context.loaders.price_snapshot.load(uuid.UUID(self.id))
        return Quote.of(snapshot) if snapshot else None

    @strawberry.field(description="Time-slot reservations: the table, rooms or items taken.")
    async def units(self, info: Info) -> list[ListingUnit]:
        if self.starts_at is None:
            return []
        return await reservation_units(info, uuid.UUID(self.id))

    @classmethod
    def from_row(cls, row: Row) -> "Reservation":
        values = columns(row)
        return cls(
            id=strawberry.ID(str(values["id"])),
            guest_name=values["guest_name"],
            start_date=values["start_date"],
            end_date=values["end_date"],
            nights=(values["end_date"] - values["start_date"]).days,
            quantity=values["quantity"],
            status=values["status"],
            total_price=Money.of(values["total_amount"], values["currency"]),
            created_at=values["created_at"],
            expires_at=values["expires_at"],
            confirmed_at=values["confirmed_at"],
            checked_in_at=values["checked_in_at"],
            checked_out_at=values["checked_out_at"],
            cancelled_at=values["cancelled_at"],
            cancel_reason=values["cancel_reason"],
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
            party_size=values["party_size"],
            # `in` rather than .get: a RowMapping's get raises and catches a KeyError.
            price_snapshot=values["price_snapshot"] if "price_snapshot" in values else NOT_LOADED,  # noqa: SIM401
            listing_id=values["listing_id"],
            guest_id=values["guest_id"],
        )
