from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, InputErrors, not_found
from bookwell.core.pagination import page_request
from bookwell.flows import booking
from bookwell.graphql.booking.inputs import CreateReservationInput
from bookwell.graphql.booking.types import Reservation, ReservationPayload
from bookwell.graphql.context import Info
from bookwell.graphql.listings.prefetch import prefetch_reservations, selected
from bookwell.graphql.shared.common import counter, parse_id, parse_uuid, require_principal
from bookwell.graphql.shared.enums import ReservationStatus
from bookwell.graphql.shared.errors import INPUT, user_errors
from bookwell.graphql.shared.pagination import After, Before, Connection, First, Last
from bookwell.services.booking import reservations
from bookwell.services.booking.guests import checked_guests
from bookwell.services.booking.reservations import NewReservation


async def reservation(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The reservation's id.")],
) -> Reservation | None:
    viewer = require_principal(info)
    reservation_id = parse_uuid(id, "Reservation")
    if reservation_id is None:
        return None
    async with info.context.db.read() as session:
        rows = await reservations.reservations_by_ids(
            session=session, viewer=viewer, ids=[reservation_id]
        )
    return Reservation.from_row(rows[0]) if rows else None


async def all_reservations(
    info: Info,
    listing_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only reservations on this listing; null: any listing."),
    ] = None,
    status: Annotated[
        ReservationStatus | None,
        strawberry.argument(description="Only reservations in this status; null: any status."),
    ] = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[Reservation]:
    """Newest first: a guest's own reservations and those on a host's listings."""
    viewer = require_principal(info)
    page = page_request(first, after, last, before)
    listing_uuid = parse_uuid(listing_id, "Listing") if listing_id is not None else None
    if listing_id is not None and listing_uuid is None:
        raise not_found("listing", "listingId")
    async with info.context.db.read() as session:
        found = await reservations.list_reservations(
            session=session, viewer=viewer, listing_id=listing_uuid, status=status, page=page
        )
    count = counter(
        info, reservations.count_reservations, viewer=viewer, listing_id=listing_uuid, status=status
    )
    connection = Connection.of(found, Reservation.from_row, count)
    nodes = [edge.node for edge in connection.edges]
    await prefetch_reservations(info, nodes, selected(info, "edges", "node"))
    return connection


async def create_reservation(
    info: Info,
    input: Annotated[CreateReservationInput, strawberry.argument(description="The stay to hold.")],
) -> ReservationPayload:
    guest = require_principal(info)
    try:
        data = _new_reservation(input)
        row = await booking.book(
            info.context.db, guest=guest, data=data, idempotency_key=input.idempotency_key
        )
    except DomainError as error:
        return ReservationPayload(errors=user_errors(error, INPUT))
    return ReservationPayload(reservation=Reservation.from_row(row))


def _new_reservation(input: CreateReservationInput) -> NewReservation:
    """The booking asked for, after the checks that need no database: all mistakes at once."""
    found = InputErrors()
    listing_id = found.check(parse_id, input.listing_id, "listing", "listingId")
    found.check(
        reservations.check_booking_input,
        start_date=input.start_date,
        end_date=input.end_date,
        nights=input.nights,
        quantity=input.quantity,
        guest_name=input.guest_name,
        idempotency_key=input.idempotency_key,
    )
    guests = found.check(checked_guests, input.adults, input.children, input.special_requests)
    found.raise_if_any()
    assert listing_id is not None and guests is not None
    return NewReservation(
        listing_id=listing_id,
        start_date=input.start_date,
        end_date=input.end_date,
        nights=input.nights,
        quantity=input.quantity,
        guest_name=input.guest_name,
        guests=guests,
        voucher_code=input.voucher_code or None,
    )
