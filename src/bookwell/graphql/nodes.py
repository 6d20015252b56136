"""Query.node and Query.nodes (the Relay server specification): any object by its global
id, seen exactly as the API shows it elsewhere. An id the viewer may not see, of an unknown
type, or of nothing at all, answers null: never an error that would tell it exists."""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

import strawberry

from bookwell.core.errors import invalid
from bookwell.core.ids import MAX_NODES, parse_global_id
from bookwell.graphql.accounts.types import User
from bookwell.graphql.booking.types import Reservation
from bookwell.graphql.context import Info
from bookwell.graphql.listings.booking_rules import BookingRuleSeason
from bookwell.graphql.listings.photos import ListingPhoto
from bookwell.graphql.listings.pricing import PriceRule
from bookwell.graphql.listings.types import Listing
from bookwell.graphql.listings.units import ListingUnit
from bookwell.graphql.payments.types import Payment
from bookwell.graphql.reviews.types import Review
from bookwell.graphql.shared.common import public_read
from bookwell.graphql.shared.node import Node
from bookwell.graphql.waitlist.resolvers import waitlist_entries_seen_by
from bookwell.graphql.webhooks.resolvers import deliveries_seen_by, endpoints_seen_by
from bookwell.graphql.webhooks.types import WebhookAttempt
from bookwell.services import nodes as node_service
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.reservations import reservations_by_ids
from bookwell.services.listings import booking_rules_store, photos
from bookwell.services.webhooks import delivery_log

Found = dict[uuid.UUID, Node]
Fetch = Callable[[Info, Principal | None, list[uuid.UUID]], Awaitable[Found]]


async def node(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="A global id (any `id`).")],
) -> Node | None:
    return (await _fetch(info, [id]))[0]


async def nodes(
    info: Info,
    ids: Annotated[
        list[strawberry.ID],
        strawberry.argument(description=f"Global ids, at most {MAX_NODES}."),
    ],
) -> list[Node | None]:
    if len(ids) > MAX_NODES:
        raise invalid("ids", f"Ask for at most {MAX_NODES} nodes at once.")
    return await _fetch(info, ids)


async def _fetch(info: Info, ids: Sequence[str]) -> list[Node | None]:
    viewer = public_read(info)
    wanted: dict[str, list[uuid.UUID]] = defaultdict(list)
    parsed = [parse_global_id(id_) for id_ in ids]
    for found in parsed:
        if found is not None and found[0] in _FETCHERS:
            wanted[found[0]].append(found[1])
    by_type = {
        type_name: await _FETCHERS[type_name](info, viewer, database_ids)
        for type_name, database_ids in wanted.items()
    }
    return [
        by_type[found[0]].get(found[1]) if found and found[0] in by_type else None
        for found in parsed
    ]


async def _listings(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    rows = await info.context.loaders.listing.load_many(ids)
    return {row.id: Listing.from_row(row) for row in rows if row is not None}


async def _reservations(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    if viewer is None:
        return {}
    async with info.context.db.read() as session:
        rows = await reservations_by_ids(session=session, viewer=viewer, ids=ids)
    return {row.id: Reservation.from_row(row) for row in rows}


async def _payments(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    """A payment is its reservation's: seen by whoever may see the reservation."""
    found = await _reservations(info, viewer, ids)
    rows = await info.context.loaders.payment.load_many(list(found))  # one query for all
    provider = info.context.payments.name
    return {
        id_: Payment.from_row(row)
        if row
        else Payment.unpaid(id_, reservation.total_price, provider)  # type: ignore[attr-defined]
        for (id_, reservation), row in zip(found.items(), rows, strict=True)
    }


async def _read(info: Info, query: Callable[..., Awaitable[list]], **kwargs: object) -> list:
    async with info.context.db.read() as session:
        return await query(session=session, **kwargs)


async def _users(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    rows = await _read(info, node_service.visible_users, viewer=viewer, ids=ids)
    return {row.id: User.from_row(row) for row in rows}


async def _reviews(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    rows = await _read(info, node_service.reviews_by_ids, ids=ids)
    return {row.id: Review.from_row(row) for row in rows}


async def _price_rules(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    rows = await _read(info, node_service.price_rules_by_ids, ids=ids)
    return {row.id: PriceRule.from_row(row, row.currency) for row in rows}


async def _booking_rule_seasons(
    info: Info, viewer: Principal | None, ids: list[uuid.UUID]
) -> Found:
    rows = await _read(info, booking_rules_store.seasons_by_ids, ids=ids)
    return {row.id: BookingRuleSeason.from_row(row) for row in rows}


async def _units(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    rows = await _read(info, node_service.units_by_ids, ids=ids)
    return {row.id: ListingUnit.from_row(row) for row in rows}


async def _waitlist_entries(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    if viewer is None:
        return {}
    entries = await waitlist_entries_seen_by(info, viewer, ids)
    return {entry.database_id: entry for entry in entries}


async def _photos(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    rows = await _read(info, photos.photos_by_ids, ids=ids)
    base_url = info.context.settings.public_url
    return {row.id: ListingPhoto.from_row(row, base_url) for row in rows}


async def _webhook_endpoints(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    return dict(await endpoints_seen_by(info, viewer, ids)) if viewer is not None else {}


async def _webhook_deliveries(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    return dict(await deliveries_seen_by(info, viewer, ids)) if viewer is not None else {}


async def _webhook_attempts(info: Info, viewer: Principal | None, ids: list[uuid.UUID]) -> Found:
    if viewer is None:
        return {}
    rows = await _read(info, delivery_log.attempts_seen_by, principal=viewer, ids=ids)
    return {row.id: WebhookAttempt.from_row(row) for row in rows}


_FETCHERS: dict[str, Fetch] = {
    "Listing": _listings,
    "Reservation": _reservations,
    "Payment": _payments,
    "User": _users,
    "Review": _reviews,
    "PriceRule": _price_rules,
    "BookingRuleSeason": _booking_rule_seasons,
    "ListingUnit": _units,
    "WaitlistEntry": _waitlist_entries,
    "ListingPhoto": _photos,
    "WebhookEndpoint": _webhook_endpoints,
    "WebhookDelivery": _webhook_deliveries,
    "WebhookAttempt": _webhook_attempts,
}
