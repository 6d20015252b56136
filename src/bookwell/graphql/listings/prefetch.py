"""Look-ahead prefetch for connections.

A root resolver that returns many listings or reservations looks at what the query selects
below its nodes and loads those nested objects in bulk, through the request's dataloaders (so
batching and caching stay as they are). The nested fields then answer from memory, without a
coroutine each: graphql-core's async path costs several times a plain field per object, which
dominated nested reads. Anything not prefetched (aliases with different arguments, other
entry points) falls back to the dataloaders, with the same answers.
"""

import asyncio
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from graphql import FieldNode
from strawberry.types.nodes import SelectedField, Selection

from bookwell.core.errors import DomainError
from bookwell.core.pagination import PageRequest
from bookwell.graphql.accounts.types import User
from bookwell.graphql.booking.types import Reservation
from bookwell.graphql.context import Info
from bookwell.graphql.engine.execution import ExecutionContext
from bookwell.graphql.engine.json_pages import RESERVATION_EDGE, field_nodes, json_shape
from bookwell.graphql.listings.types import Availability, Listing, availability_key, nested_page
from bookwell.graphql.shared.pagination import Connection

Selections = dict[str, list[SelectedField]]


def _fields(selections: Iterable[Selection] | None) -> Iterator[SelectedField]:
    for selection in selections or ():  # leaf fields have None
        if isinstance(selection, SelectedField):
            yield selection
        else:  # fragment spreads and inline fragments
            yield from _fields(selection.selections)


def selected(info: Info, *path: str) -> Selections:
    """The fields selected at `path` below the current field, by name."""
    current = [f for root in info.selected_fields for f in _fields(root.selections)]
    for name in path:
        current = [child for f in current if f.name == name for child in _fields(f.selections)]
    grouped: Selections = defaultdict(list)
    for field in current:
        grouped[field.name].append(field)
    return grouped


def _only(selections: Selections, name: str) -> SelectedField | None:
    """The field if selected with one set of arguments (aliases may ask for several)."""
    fields = selections.get(name) or []
    if not fields or any(f.arguments != fields[0].arguments for f in fields[1:]):
        return None
    return fields[0]


async def prefetch_listings(
    info: Info, listings: Sequence[Listing], fields: Selections, at: Sequence[str]
) -> None:
    """`fields` are those selected at `at` (field names) below the current field."""
    jobs = []
    if _only(fields, "owner"):
        jobs.append(_owners(info, listings))
    if (reservations := _only(fields, "reservations")) is not None:
        edges = _single_node(info, (*at, "reservations", "edges"))
        jobs.append(_newest_reservations(info, listings, reservations, edges))
    if (availability := _only(fields, "availability")) is not None:
        key = _availability_key(availability.arguments)
        if key is not None:
            jobs.append(_availability(info, listings, key))
    await asyncio.gather(*jobs)


async def prefetch_reservations(
    info: Info, reservations: Sequence[Reservation], fields: Selections
) -> None:
    jobs = []
    if _only(fields, "listing"):
        jobs.append(_listings(info, [r for r in reservations if "listing" not in r.prefetched]))
    if _only(fields, "guest"):
        jobs.append(_guests(info, reservations))
    await asyncio.gather(*jobs)


async def _owners(info: Info, listings: Sequence[Listing]) -> None:
    """One query for the page's owners, each built once however many listings it has (the
    whole page is known here: a loader's future per listing would only add cost)."""
    rows = await info.context.loaders.users_now({listing.owner_id for listing in listings})
    owners = {user_id: User.from_row(row) for user_id, row in rows.items()}
    for listing in listings:
        listing.prefetched["owner"] = owners[listing.owner_id]


async def _newest_reservations(
    info: Info, listings: Sequence[Listing], field: SelectedField, edges: FieldNode | None
) -> None:
    """Each listing's page of reservations, as one connection apiece: edges written by
    PostgreSQL when their selection allows it, else objects with their own nested fields
    prefetched."""
    try:
        page = _reservations_page(field.arguments)
    except (TypeError, ValueError, DomainError):
        return  # each field reports the bad argument itself
    loaders = info.context.loaders
    ids = [listing.uuid for listing in listings]
    shape = None
    if edges is not None and _executor_embeds_json(info):
        shape = json_shape(edges, RESERVATION_EDGE, info._raw_info.fragments)
    if edges is not None and shape is not None:
        pages = await loaders.reservation_edges_as_json(ids, page, shape)
        for listing in listings:
            count = functools.partial(loaders.reservation_count.load, listing.uuid)
            connection: Connection[Reservation] = Connection.of_json_page(
                pages[listing.uuid], edges, count
            )
            listing.prefetched[("reservations", page)] = connection
        return
    found = await loaders.newest_reservations.load_many([(id_, page) for id_ in ids])
    every = []
    for listing, rows in zip(listings, found, strict=True):
        count = functools.partial(loaders.reservation_count.load, listing.uuid)
        connection = Connection.of(rows, Reservation.from_row, count)
        for edge in connection.edges:
            edge.node.prefetched["listing"] = listing
            every.append(edge.node)
        listing.prefetched[("reservations", page)] = connection
    info.context.linked.extend(listings)
    await prefetch_reservations(info, every, _below(field, "edges", "node"))


def _reservations_page(arguments: dict[str, Any]) -> PageRequest:
    values = [arguments.get(name) for name in ("first", "after", "last", "before")]
    first, after, last, before = values
    return nested_page(
        None if first is None else int(first),
        after,
        None if last is None else int(last),
        before,
    )


def _below(field: SelectedField, *path: str) -> Selections:
    """The fields selected at `path` (field names) below `field`, by name."""
    current = [field]
    for name in path:
        current = [child for f in current for child in _fields(f.selections) if child.name == name]
    grouped: Selections = defaultdict(list)
    for child in (c for f in current for c in _fields(f.selections)):
        grouped[child.name].append(child)
    return grouped


async def _availability(
    info: Info, listings: Sequence[Listing], key: tuple[date, date, int]
) -> None:
    start, end, quantity = key
    found = await info.context.loaders.availability.load_many(
        [(listing.uuid, start, end, quantity) for listing in listings]
    )
    for listing, answer in zip(listings, found, strict=True):
        listing.prefetched[("availability", *key)] = Availability.of(answer)


async def _listings(info: Info, reservations: Sequence[Reservation]) -> None:
    rows = await info.context.loaders.listing.load_many([r.listing_id for r in reservations])
    for reservation, row in zip(reservations, rows, strict=True):
        reservation.prefetched["listing"] = Listing.from_row(row)


async def _guests(info: Info, reservations: Sequence[Reservation]) -> None:
    with_guest = [r for r in reservations if r.guest_id is not None]
    rows = await info.context.loaders.user.load_many([r.guest_id for r in with_guest])
    for reservation, row in zip(with_guest, rows, strict=True):
        reservation.prefetched["guest"] = (
            User.as_booked(row, reservation.guest_name) if row else None
        )


def _executor_embeds_json(info: Info) -> bool:
    """Only this schema's executor puts prebuilt JSON into answers (tests compare with one
    that does not)."""
    return issubclass(info.schema.execution_context_class, ExecutionContext)


def _single_node(info: Info, path: Sequence[str]) -> FieldNode | None:
    """The one field node of the document at `path` below the current field, if just one."""
    raw = info._raw_info
    nodes = field_nodes(raw.field_nodes, path, raw.fragments)
    return nodes[0] if nodes is not None and len(nodes) == 1 else None


def selected_below(field: SelectedField) -> Selections:
    grouped: Selections = defaultdict(list)
    for child in _fields(field.selections):
        grouped[child.name].append(child)
    return grouped


def _availability_key(arguments: dict[str, Any]) -> tuple[date, date, int] | None:
    """The checked range, or None: then each field checks it and reports its own error."""
    try:
        return availability_key(
            _as_date(arguments["startDate"]),
            _as_date(arguments["endDate"]),
            int(arguments.get("quantity", 1)),
        )
    except (KeyError, TypeError, ValueError, DomainError):
        return None


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
