"""Pages of reservations written as JSON by PostgreSQL (graphql/engine/json_pages.py uses them).

Each listing's page comes back as one row: its edges (`{"cursor", "node"}` in the shape the
caller asks for) as a JSON array, the cursors at both ends, and how many rows were read (one
more than the page when there are more): text to send as it is, with no reservation decoded
nor object built in Python.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, Uuid, bindparam, cast, func, over, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bookwell.core.json_rows import (
    JsonShape,
    ShapeKey,
    cursor_of,
    iso_datetime_of,
    json_record,
    shape_key,
)
from bookwell.core.pagination import PageRequest, PageShape
from bookwell.core.statements import AnyColumn
from bookwell.models import Reservation
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.reservations import page_per_listing, per_listing_params

# What a page can show of a reservation, each exactly as the API writes it: ids and amounts as
# the strings the API sends, dates as YYYY-MM-DD (PostgreSQL's JSON dates are ISO 8601 whatever
# DateStyle says), timestamps as datetime.isoformat writes them (json_rows.iso_datetime_of).
JSON_FIELDS: dict[str, AnyColumn] = {
    "cursor": cursor_of(Reservation.id),
    "id": Reservation.global_id,
    "database_id": cast(Reservation.id, Text),
    "guest_name": Reservation.guest_name,
    "start_date": Reservation.start_date,
    "end_date": Reservation.end_date,
    "nights": Reservation.end_date - Reservation.start_date,
    "quantity": Reservation.quantity,
    "status": Reservation.status,
    "party_size": Reservation.party_size,
    "adults": Reservation.adults,
    "children": Reservation.children,
    "special_requests": Reservation.special_requests,
    "cancel_reason": Reservation.cancel_reason,
    "total_amount": cast(Reservation.total_amount, Text),  # numeric(12, 2): "120.00"
    "currency": Reservation.currency,
    "created_at": iso_datetime_of(Reservation.created_at),
    "expires_at": iso_datetime_of(Reservation.expires_at),
    "confirmed_at": iso_datetime_of(Reservation.confirmed_at),
    "checked_in_at": iso_datetime_of(Reservation.checked_in_at),
    "checked_out_at": iso_datetime_of(Reservation.checked_out_at),
    "cancelled_at": iso_datetime_of(Reservation.cancelled_at),
    "starts_at": iso_datetime_of(Reservation.starts_at),
    "ends_at": iso_datetime_of(Reservation.ends_at),
}


@dataclass(frozen=True, slots=True)
class JsonPage:
    """A page of edges as a JSON array, in the connection's order (newest first)."""

    edges: str
    start_cursor: str | None
    end_cursor: str | None
    has_next_page: bool
    has_previous_page: bool


EMPTY = JsonPage("[]", None, None, has_next_page=False, has_previous_page=False)


async def reservation_edges_as_json(
    *,
    connection: AsyncConnection,
    viewer: Principal,
    listing_ids: Sequence[uuid.UUID],
    page: PageRequest,
    shape: JsonShape,
) -> dict[uuid.UUID, JsonPage]:
    """The same page of each listing's reservations that the viewer may see (as
    reservations.pages_of_listings), each listing's edges of `shape` as one JSON array."""
    stmt = _statement(shape_key(shape), page.shape, everything=viewer.is_admin)
    parameters = per_listing_params(viewer, listing_ids, page) | {"size": page.size}
    found = {row[0]: row for row in await connection.execute(stmt, parameters)}
    return {listing_id: _page(found.get(listing_id), page) for listing_id in listing_ids}


def _page(row: Row[*tuple[Any, ...]] | None, page: PageRequest) -> JsonPage:
    if row is None:
        more = False
        edges, start, end = "[]", None, None
    else:
        _, read, edges, start, end = row
        more = read > page.size
    if page.backward:
        return JsonPage(edges, start, end, page.before is not None, more)
    return JsonPage(edges, start, end, more, page.after is not None)


def _uuid(text: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(text, Uuid)


@lru_cache(maxsize=256)
def _statement(shape: ShapeKey, page: PageShape, *, everything: bool) -> Select[*tuple[Any, ...]]:
    """Built once per shape, kind of page and kind of viewer; the rest are bind parameters.
    The page is read from the end it starts at, numbered in that order; the row past the
    page only counts toward `read`."""
    backward = page[2]
    reading_order = Reservation.id if backward else Reservation.id.desc()
    edge = func.to_json(json_record(shape, JSON_FIELDS, Reservation.__table__))
    position = over(func.row_number(), order_by=reading_order)
    columns = (
        Reservation.listing_id,
        Reservation.id,
        edge.label("edge"),
        position.label("position"),
    )
    listings, lateral = page_per_listing(columns, page, everything=everything)
    on_page = lateral.c.position <= bindparam("size")
    ordered = aggregate_order_by(lateral.c.edge, lateral.c.id.desc())
    # PostgreSQL before 18 has no max(uuid); a UUID's text sorts as the UUID does.
    as_text = cast(lateral.c.id, Text)
    edges = cast(func.array_to_json(func.array_agg(ordered).filter(on_page)), Text)
    return (
        select(
            listings.c.id,
            func.count().label("read"),
            func.coalesce(edges, "[]").label("edges"),
            cursor_of(_uuid(func.max(as_text).filter(on_page))),
            cursor_of(_uuid(func.min(as_text).filter(on_page))),
        )
        .select_from(listings.join(lateral, true()))
        .group_by(listings.c.id)
    )
