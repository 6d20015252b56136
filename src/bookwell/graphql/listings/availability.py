"""Whether a listing has room: the Availability type and its batched loading."""

import uuid
from datetime import date

import strawberry

from bookwell.core.ids import global_id
from bookwell.graphql.context import Info
from bookwell.services.listings import availability as availability_service
from bookwell.services.listings.stays import check_quantity, stay


def availability_key(start_date: date, end_date: date, quantity: int) -> tuple[date, date, int]:
    """The checked range and quantity of an availability question (DomainError if bad)."""
    check_quantity(quantity)
    checked = stay(start_date, end_date)
    return checked.start, checked.end, quantity


@strawberry.type(
    description="Whether a listing has `quantity` units free on every night of "
    "[startDate, endDate), in its timezone."
)
class Availability:
    listing_id: strawberry.ID = strawberry.field(description="The listing asked about.")
    start_date: date = strawberry.field(description="The first night asked about.")
    end_date: date = strawberry.field(
        description="The check-out day: the nights are [startDate, endDate)."
    )
    quantity: int = strawberry.field(description="Units asked for on every night.")
    available: bool = strawberry.field(
        description="quantity units are free on every night, and the stay is not in the past."
    )
    free_units: int = strawberry.field(description="The fewest units free on any night.")

    @classmethod
    def of(cls, found: availability_service.Availability) -> "Availability":
        return cls(
            listing_id=global_id("Listing", found.listing_id),
            start_date=found.start_date,
            end_date=found.end_date,
            quantity=found.quantity,
            available=found.available,
            free_units=found.free_units,
        )


async def load_availability(
    info: Info, listing_id: uuid.UUID, start_date: date, end_date: date, quantity: int
) -> Availability | None:
    """Checked range, batched with every other availability asked in this request."""
    key = availability_key(start_date, end_date, quantity)
    found = await info.context.loaders.availability.load((listing_id, *key))
    return Availability.of(found) if found else None
