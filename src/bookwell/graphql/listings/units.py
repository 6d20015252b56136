"""The units of time-slot listings (tables, rooms, items), read through the dataloaders."""

import uuid

import strawberry

from bookwell.core.errors import InputErrors, invalid
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


DEFAULT_UNITS = 100
MAX_UNITS_PAGE = 1000


def check_units_page(first: int | None, after_position: int | None) -> tuple[int, int]:
    """bookableUnits' page: (at most this many, after this position)."""
    found = InputErrors()
    if first is not None and not 1 <= first <= MAX_UNITS_PAGE:
        found.add(invalid("first", f"first must be between 1 and {MAX_UNITS_PAGE}."))
    if after_position is not None and after_position < 0:
        found.add(invalid("afterPosition", "afterPosition must be 0 or more."))
    found.raise_if_any()
    return first or DEFAULT_UNITS, after_position or 0


async def listing_units(
    info: Info, listing_id: uuid.UUID, first: int, after_position: int
) -> list[ListingUnit]:
    rows = await info.context.loaders.listing_units.load((listing_id, first, after_position))
    return [ListingUnit.from_row(row) for row in rows]


async def reservation_units(info: Info, reservation_id: uuid.UUID) -> list[ListingUnit]:
    rows = await info.context.loaders.reservation_units.load(reservation_id)
    return [ListingUnit.from_row(row) for row in rows]
