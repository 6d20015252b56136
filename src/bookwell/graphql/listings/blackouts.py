"""A listing's blackouts as its host sees them (services/calendar/blackouts.py); the
mutations that make and delete them are in graphql/calendar/blackouts.py."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from bookwell.core.ids import global_id
from bookwell.graphql.context import Info
from bookwell.graphql.limits.cost import costs
from bookwell.services.calendar.blackout_json import (
    DEFAULT_BLACKOUTS,
    MAX_BLACKOUTS_PAGE,
    check_blackouts_page,
)
from bookwell.services.calendar.blackouts import BlackoutRecord

BLACKOUTS_COST = costs(default_page=DEFAULT_BLACKOUTS, largest_page=MAX_BLACKOUTS_PAGE)


@strawberry.type(
    description="Dates (a stay) or hours (a slot listing) its host closed for some or all "
    "units: they take those units as a booking would, so nobody can book them."
)
class Blackout:
    id: strawberry.ID = strawberry.field(description="Global id; deleteBlackout takes it.")
    database_id: uuid.UUID = strawberry.field(description="The blackout's UUID as stored.")
    reason: str = strawberry.field(description="Why, as the host wrote it (for the host).")
    start_date: date = strawberry.field(
        description="Stays: the first night closed; slot listings: the local date of startsAt."
    )
    end_date: date = strawberry.field(
        description="Stays: the day after the last night closed; slot listings: the day after "
        "the local date of endsAt."
    )
    starts_at: datetime | None = strawberry.field(
        description="Slot listings: when the closed hours begin; null for stays."
    )
    ends_at: datetime | None = strawberry.field(
        description="Slot listings: when they end (exclusive); null for stays."
    )
    units: int = strawberry.field(description="How many units it takes.")
    created_at: datetime = strawberry.field(description="When the host made it.")

    @classmethod
    def from_record(cls, row: BlackoutRecord) -> "Blackout":
        return cls(
            id=global_id("Blackout", row.id),
            database_id=row.id,
            reason=row.reason,
            start_date=row.start_date,
            end_date=row.end_date,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            units=row.units,
            created_at=row.created_at,
        )


async def blackouts_of_listing(
    root: Any,
    info: Info,
    first: Annotated[
        int | None, strawberry.argument(description="At most this many, 1 to 500 (default 50).")
    ] = None,
) -> list[Blackout] | None:
    """Listing.blackouts: those not over yet, earliest first, for its host or an admin; None
    for anyone else (a reason may be private). `root` is the Listing."""
    page = check_blackouts_page(first)
    viewer = info.context.principal
    if viewer is None or (viewer.user_id != root.owner_id and not viewer.is_admin):
        return None
    found: list[BlackoutRecord] = await info.context.loaders.blackouts.load(root.uuid)
    return [Blackout.from_record(row) for row in found[:page]]
