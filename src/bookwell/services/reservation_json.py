"""Pages of reservations written as JSON by PostgreSQL (schema/json_pages.py uses them).

Each listing's newest reservations come back as one JSON array, in the shape the caller
asks for: text to send as it is, with no row decoded nor object built in Python.
"""

import uuid
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    cast,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Reservation
from bookwell.services.json_rows import JsonShape, ShapeKey, json_record, shape_key
from bookwell.services.principal import Principal
from bookwell.services.reservations import newest_per_listing

# What a page can show of a reservation, each exactly as the API writes it: ids and amounts as
# the strings the API sends, dates as YYYY-MM-DD (PostgreSQL's JSON dates are ISO 8601 whatever
# DateStyle says). No timestamps: PostgreSQL drops trailing zeros of microseconds, Python not.
JSON_FIELDS: dict[str, ColumnElement] = {
    "id": cast(Reservation.id, Text),
    "guest_name": Reservation.guest_name,
    "start_date": Reservation.start_date,
    "end_date": Reservation.end_date,
    "nights": Reservation.end_date - Reservation.start_date,
    "quantity": Reservation.quantity,
    "status": Reservation.status,
    "party_size": Reservation.party_size,
    "cancel_reason": Reservation.cancel_reason,
    "total_amount": cast(Reservation.total_amount, Text),  # numeric(12, 2): "120.00"
    "currency": Reservation.currency,
}


async def newest_reservations_as_json(
    *,
    session: AsyncSession,
    viewer: Principal,
    listing_ids: Sequence[uuid.UUID],
    first: int,
    shape: JsonShape,
) -> dict[uuid.UUID, str]:
    """The newest `first` reservations the viewer may see on each listing (as
    reservations.first_reservations_of_listings), each listing's as a JSON array of objects
    of `shape`. A listing with none maps to "[]"."""
    stmt = _statement(shape_key(shape), everything=viewer.is_admin)
    parameters = {"listing_ids": list(listing_ids), "first": first, "viewer": viewer.user_id}
    found: dict[uuid.UUID, str] = dict((await session.execute(stmt, parameters)).all())
    return {listing_id: found.get(listing_id, "[]") for listing_id in listing_ids}


@lru_cache(maxsize=256)
def _statement(shape: ShapeKey, *, everything: bool) -> Select:
    """Built once per shape and kind of viewer; the rest are bind parameters."""
    item = func.to_json(json_record(shape, JSON_FIELDS, Reservation.__table__))
    columns = (Reservation.id, item.label("item"))
    listings, page = newest_per_listing(columns, everything=everything)
    items = func.array_to_json(func.array_agg(aggregate_order_by(page.c.item, page.c.id.desc())))
    return (
        select(listings.c.id, cast(items, Text))
        .select_from(listings.join(page, true()))
        .group_by(listings.c.id)
    )
