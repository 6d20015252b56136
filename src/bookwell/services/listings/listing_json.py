"""Pages of listings written as JSON by PostgreSQL: a connection's edges
(graphql/engine/json_pages.py).

The same searches as availability.py and listings.py beside it, same conditions, order and
pages, but each row is (id, the edge as JSON text in the caller's shape). Run on a Core
connection (Database.read_connection): two plain columns need no ORM session.
"""

import functools
import uuid
from typing import Any, NamedTuple

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bookwell.core.json_rows import (
    JsonShape,
    ShapeKey,
    cursor_of,
    global_id_of,
    iso_datetime_of,
    iso_time_of,
    json_record,
    shape_key,
)
from bookwell.core.pagination import Page, PageRequest, PageShape, page_of
from bookwell.core.statements import AnyColumn
from bookwell.models import Listing
from bookwell.services.listings.availability import has_room, room_params
from bookwell.services.listings.listings import (
    ListingFilter,
    filter_conditions,
    filter_params,
    page_params,
    paged,
)
from bookwell.services.listings.stays import Stay

# What an edge can show of a listing, each exactly as the API writes it: ids and amounts as
# strings (numeric(12, 2) as text is "120.00"), enums by their names (stored as such), times
# and timestamps as time.isoformat and datetime.isoformat write them (json_rows). Not latitude
# nor longitude: Python writes 45.0 where PostgreSQL writes 45.
JSON_FIELDS: dict[str, AnyColumn] = {
    "cursor": cursor_of(Listing.id),
    "id": global_id_of("Listing", Listing.id),
    "database_id": cast(Listing.id, Text),
    "kind": Listing.kind,
    "title": Listing.title,
    "description": Listing.description,
    "city": Listing.city,
    "country": Listing.country,
    "timezone": Listing.timezone,
    "nightly_amount": cast(Listing.nightly_price, Text),
    "cleaning_amount": cast(Listing.cleaning_fee, Text),
    "currency": Listing.currency,
    "units": Listing.units,
    "max_guests": Listing.max_guests,
    "instant_book": Listing.instant_book,
    "allow_guest_checkout": Listing.allow_guest_checkout,
    "hold_minutes": Listing.hold_minutes,
    "approval_hours": Listing.approval_hours,
    "offer_minutes": Listing.offer_minutes,
    "max_hold_nights": Listing.max_hold_nights,
    "max_hold_units": Listing.max_hold_units,
    "max_guest_holds": Listing.max_guest_holds,
    "max_listing_holds": Listing.max_listing_holds,
    "free_cancellation_days": Listing.free_cancellation_days,
    "late_refund_percent": Listing.late_refund_percent,
    "no_show_refund_percent": Listing.no_show_refund_percent,
    "slot_minutes": Listing.slot_minutes,
    "sitting_minutes": Listing.sitting_minutes,
    "buffer_before_minutes": Listing.buffer_before_minutes,
    "buffer_after_minutes": Listing.buffer_after_minutes,
    "auto_no_show_after_hours": Listing.auto_no_show_after_hours,
    "opens_at": iso_time_of(Listing.opens_at),
    "closes_at": iso_time_of(Listing.closes_at),
    "address_line1": Listing.address_line1,
    "address_line2": Listing.address_line2,
    "postal_code": Listing.postal_code,
    "notify_host_on_check_in": Listing.notify_host_on_check_in,
    "notify_host_on_no_show": Listing.notify_host_on_no_show,
    "created_at": iso_datetime_of(Listing.created_at),
    "archived_at": iso_datetime_of(Listing.archived_at),
}


class JsonEdge(NamedTuple):
    """A listing's id and its edge as JSON text, written by PostgreSQL for one selection."""

    id: uuid.UUID
    edge: str


async def search_as_json(
    *,
    connection: AsyncConnection,
    stay: Stay,
    quantity: int,
    filter: ListingFilter | None,
    page: PageRequest,
    shape: JsonShape,
) -> Page[JsonEdge]:
    """availability.search, each listing as a JsonEdge."""
    room = room_params(stay, quantity)
    criteria, params = filter_params(filter)
    stmt = _search(shape_key(shape), criteria, page.shape)
    rows = await connection.execute(stmt, params | room | page_params(page))
    return page_of([JsonEdge(*row) for row in rows], page)


async def listings_as_json(
    *,
    connection: AsyncConnection,
    filter: ListingFilter | None,
    page: PageRequest,
    shape: JsonShape,
) -> Page[JsonEdge]:
    """listings.list_listings, each listing as a JsonEdge."""
    criteria, params = filter_params(filter)
    stmt = _listings(shape_key(shape), criteria, page.shape)
    rows = await connection.execute(stmt, params | page_params(page))
    return page_of([JsonEdge(*row) for row in rows], page)


def _edge(shape: ShapeKey) -> Select[*tuple[Any, ...]]:
    edge = func.to_json(json_record(shape, JSON_FIELDS, Listing.__table__))
    return select(Listing.id, cast(edge, Text))


@functools.lru_cache(maxsize=256)
def _search(shape: ShapeKey, criteria: frozenset[str], page: PageShape) -> Select[*tuple[Any, ...]]:
    return paged(_edge(shape).where(*filter_conditions(criteria), has_room()), page)


@functools.lru_cache(maxsize=256)
def _listings(
    shape: ShapeKey, criteria: frozenset[str], page: PageShape
) -> Select[*tuple[Any, ...]]:
    return paged(_edge(shape).where(*filter_conditions(criteria)), page)
