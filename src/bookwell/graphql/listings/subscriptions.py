"""availabilityChanged: a listing's availability, sent again whenever a reservation change on
it commits, whichever API process made it.

The database announces every committed change with NOTIFY bookwell_availability (migration
0005: listing id and the changed nights [start_date, end_date)); the process's one `Listener`
hands each subscriber the notifications of its listing. Notifications that pile up while an
answer is computed or sent are coalesced: the next answer covers all of them.
"""

import json
import logging
import uuid
from collections.abc import AsyncGenerator, Iterable
from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError

from bookwell.core.errors import DomainError, ErrorCode, not_found
from bookwell.core.pg_listen import Listener
from bookwell.graphql.context import Info
from bookwell.graphql.limits.cost import costs, stay_nights
from bookwell.graphql.listings.types import Availability, availability_key
from bookwell.graphql.shared.common import parse_uuid, public_read
from bookwell.graphql.shared.errors import PublicError
from bookwell.services.listings import availability as availability_service
from bookwell.services.listings import listings
from bookwell.services.listings.stays import Stay, check_quantity

# Each change answers the window's availability again: a long window weighs more, and its
# `nights` list is as long as the window.
CHANGES_COST = costs(weight=lambda arguments: 1 + stay_nights(arguments) // 30, items=stay_nights)

log = logging.getLogger(__name__)

CHANNEL = "bookwell_availability"


async def availability_changed(
    info: Info,
    listing_id: Annotated[strawberry.ID, strawberry.argument(description="The listing to watch.")],
    start_date: Annotated[
        date | None,
        strawberry.argument(
            description="With endDate: the first night of the window to watch; null: every change."
        ),
    ] = None,
    end_date: Annotated[
        date | None,
        strawberry.argument(
            description="With startDate: the window's check-out day, at most 365 nights after it."
        ),
    ] = None,
    quantity: Annotated[
        int,
        strawberry.argument(
            description="Units wanted on every night, at least 1: decides `available`."
        ),
    ] = 1,
) -> AsyncGenerator[Availability, None]:
    """Checks everything before the stream starts, so a bad request is the protocol's
    `error` message rather than a stream that ends at once."""
    listener = info.context.listener
    if listener is None:
        raise GraphQLError("Live updates are not available on this server.")
    try:
        public_read(info)
        window = _window(start_date, end_date, quantity)
        parsed = parse_uuid(listing_id, "Listing")
        if parsed is None or not await _listing_exists(info, parsed):
            raise not_found("listing", "listingId")
    except DomainError as error:
        raise PublicError.from_domain(error) from None
    return _stream(info, listener, parsed, window, quantity)


def _window(start_date: date | None, end_date: date | None, quantity: int) -> Stay | None:
    if start_date is None and end_date is None:
        check_quantity(quantity)
        return None
    if start_date is None or end_date is None:
        field = "startDate" if start_date is None else "endDate"
        raise DomainError(
            ErrorCode.INVALID_DATES, "Give both startDate and endDate, or neither.", field
        )
    start, end, _ = availability_key(start_date, end_date, quantity)
    return Stay(start, end)


async def _listing_exists(info: Info, listing_id: uuid.UUID) -> bool:
    try:
        async with info.context.db.read() as session:
            return bool(await listings.listings_by_ids(session=session, ids=[listing_id]))
    except Exception as error:
        raise _unexpected(info, error) from None


def _unexpected(info: Info, error: Exception) -> GraphQLError:
    """Schema extensions do not mask what a stream raises: log it, answer like they do."""
    request_id = info.context.request_id
    log.error("unexpected error (subscription %s)", request_id, exc_info=error)
    return GraphQLError(
        "Unexpected error.", extensions={"code": "INTERNAL_ERROR", "requestId": request_id}
    )


async def _stream(
    info: Info, listener: Listener, listing_id: uuid.UUID, window: Stay | None, quantity: int
) -> AsyncGenerator[Availability, None]:
    marker = str(listing_id)
    # The filter runs for every notification of every listing: a substring test, no parsing.
    async with listener.subscribe(CHANNEL, accept=lambda payload: marker in payload) as queue:
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            for nights in ranges_to_report(batch, listing_id, window):
                yield await _compute(info, listing_id, nights, quantity)


def ranges_to_report(
    batch: Iterable[str | None], listing_id: uuid.UUID, window: Stay | None
) -> list[Stay]:
    """What to answer for a batch of notifications (None: resync, changes may be lost).
    With a window: the window, once, if any change touched it or a resync came. Without:
    each distinct changed range once; a resync has no range to report."""
    resync = False
    changed: dict[Stay, None] = {}
    for payload in batch:
        if payload is None:
            resync = True
        elif (nights := parse_change(payload, listing_id)) is not None:
            changed[nights] = None
    if window is None:
        return list(changed)
    touched = any(c.start < window.end and window.start < c.end for c in changed)
    return [window] if resync or touched else []


def parse_change(payload: str, listing_id: uuid.UUID) -> Stay | None:
    """The nights [start, end) a notification says changed on this listing, else None."""
    try:
        change = json.loads(payload)
        if uuid.UUID(change["listing_id"]) != listing_id:
            return None
        return Stay(
            date.fromisoformat(change["start_date"]), date.fromisoformat(change["end_date"])
        )
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed %s notification: %r", CHANNEL, payload[:200])
        return None


async def _compute(info: Info, listing_id: uuid.UUID, nights: Stay, quantity: int) -> Availability:
    """One short session per answer: a subscription lives long, a pooled connection should not."""
    try:
        async with info.context.db.read() as session:
            found = await availability_service.availability(
                session=session, listing_ids=[listing_id], stay=nights, quantity=quantity
            )
    except Exception as error:
        raise _unexpected(info, error) from None
    if listing_id not in found:
        raise PublicError.from_domain(not_found("listing", "listingId"))
    return Availability.of(found[listing_id])
