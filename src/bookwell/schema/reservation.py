import dataclasses
import uuid
from datetime import date, datetime
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from bookwell.context import Info
from bookwell.schema.enums import ReservationStatus
from bookwell.schema.listing import Listing
from bookwell.schema.money import Money
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
    listing_id: strawberry.Private[uuid.UUID]
    guest_id: strawberry.Private[uuid.UUID | None]
    # Filled by a connection's look-ahead (schema/lookahead.py); else the fields return an
    # awaitable from the dataloaders (graphql-core awaits it).
    prefetched: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @strawberry.field
    def listing(self, info: Info) -> Listing:
        return self.prefetched.get("listing") or self._load_listing(info)

    async def _load_listing(self, info: Info) -> Listing:
        return Listing.from_row(await info.context.loaders.listing.load(self.listing_id))

    @strawberry.field
    def guest(self, info: Info) -> User | None:
        if "guest" in self.prefetched or self.guest_id is None:
            return self.prefetched.get("guest")
        return self._load_guest(info, self.guest_id)

    async def _load_guest(self, info: Info, guest_id: uuid.UUID) -> User | None:
        row = await info.context.loaders.user.load(guest_id)
        return User.from_row(row) if row else None

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
            listing_id=row.listing_id,
            guest_id=row.guest_id,
        )
