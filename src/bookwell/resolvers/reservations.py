import strawberry

from bookwell.context import Info
from bookwell.resolvers.common import counter, parse_uuid, require_principal
from bookwell.schema.enums import ReservationStatus
from bookwell.schema.errors import UserError
from bookwell.schema.inputs import CreateReservationInput
from bookwell.schema.lookahead import prefetch_reservations, selected
from bookwell.schema.pagination import Connection
from bookwell.schema.payloads import ReservationPayload
from bookwell.schema.reservation import Reservation
from bookwell.services import reservations
from bookwell.services.errors import DomainError, not_found
from bookwell.services.pagination import page_request
from bookwell.services.reservations import NewReservation


async def reservation(info: Info, id: strawberry.ID) -> Reservation | None:
    viewer = require_principal(info)
    reservation_id = parse_uuid(id)
    if reservation_id is None:
        return None
    async with info.context.db.read() as session:
        rows = await reservations.reservations_by_ids(
            session=session, viewer=viewer, ids=[reservation_id]
        )
    return Reservation.from_row(rows[0]) if rows else None


async def all_reservations(
    info: Info,
    listing_id: strawberry.ID | None = None,
    status: ReservationStatus | None = None,
    first: int = 20,
    after: str | None = None,
) -> Connection[Reservation]:
    """Newest first: a guest's own reservations and those on a host's listings."""
    viewer = require_principal(info)
    page = page_request(first, after)
    listing_uuid = parse_uuid(listing_id) if listing_id is not None else None
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


async def create_reservation(info: Info, input: CreateReservationInput) -> ReservationPayload:
    guest = require_principal(info)
    listing_id = parse_uuid(input.listing_id)
    if listing_id is None:
        return _failed(not_found("listing", "listingId"))
    data = NewReservation(
        listing_id=listing_id,
        start_date=input.start_date,
        end_date=input.end_date,
        nights=input.nights,
        quantity=input.quantity,
        guest_name=input.guest_name,
    )
    try:
        row = await reservations.book(
            db=info.context.db, guest=guest, data=data, idempotency_key=input.idempotency_key
        )
    except DomainError as error:
        return _failed(error)
    return ReservationPayload(reservation=Reservation.from_row(row))


def _failed(error: DomainError) -> ReservationPayload:
    return ReservationPayload(errors=[UserError.from_domain(error)])
