"""The units of time-slot listings (tables, rooms, items), read through the dataloaders."""

import uuid

import strawberry

from bookwell.core.ids import global_id
from bookwell.graphql.context import Info
from bookwell.graphql.shared.node import Node
from bookwell.services.listings.records import UnitRecord


@strawberry.type(description="A table (with its seats), room or item of a time-slot listing.")
class ListingUnit(Node):
    database_id: uuid.UUID = strawberry.field(
        description="The unit's UUIDv7 as stored (sortable by creation time), for SQL and "
        "analysts; inputs accept it wherever they take this unit's id."
    )
    label: str = strawberry.field(
        description='Its name: the host\'s, or "Table 1", "Room 2", "Item 3".'
    )
    seats: int | None = strawberry.field(description="Tables only: the party it seats.")
    position: int = strawberry.field(description="1, 2, ...: the order units are offered in.")

    @classmethod
    def from_row(cls, row: UnitRecord) -> "ListingUnit":
        return cls(
            id=global_id("ListingUnit", row.id),
            database_id=row.id,
            label=row.label,
            seats=row.seats,
            position=row.position,
        )


async def listing_units(info: Info, listing_id: uuid.UUID) -> list[ListingUnit]:
    rows = await info.context.loaders.listing_units.load(listing_id)
    return [ListingUnit.from_row(row) for row in rows]


async def reservation_units(info: Info, reservation_id: uuid.UUID) -> list[ListingUnit]:
    rows = await info.context.loaders.reservation_units.load(reservation_id)
    return [ListingUnit.from_row(row) for row in rows]
