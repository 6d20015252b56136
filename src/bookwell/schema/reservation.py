import uuid
from datetime import date, datetime

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

    @strawberry.field
    async def listing(self, info: Info) -> Listing:
        return Listing.from_row(await info.context.loaders.listing.load(self.listing_id))

    @strawberry.field
    async def guest(self, info: Info) -> User | None:
        if self.guest_id is None:
            return None
        row = await info.context.loaders.user.load(self.guest_id)
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
