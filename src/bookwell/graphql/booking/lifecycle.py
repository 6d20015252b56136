"""Mutations that move a reservation through its life (flows/booking.py)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from bookwell.core.errors import InputErrors
from bookwell.flows import booking
from bookwell.graphql.booking.inputs import ChangeReservationDatesInput
from bookwell.graphql.booking.types import Reservation, ReservationPayload
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import errors_as_data, parse_id, require_principal
from bookwell.graphql.shared.errors import ARGUMENTS, INPUT, ArgumentPaths, user_errors
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import cancellation
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.listings.stays import requested_stay

Transition = Callable[[Principal, uuid.UUID], Awaitable[ReservationRecord]]


async def _run(
    info: Info,
    id: strawberry.ID,
    transition: Transition,
    *,
    input_checks: Callable[[], object] | None = None,
    at: ArgumentPaths = ARGUMENTS,
) -> ReservationPayload:
    """The `transition` flow, once the reservation's id and the `input_checks` (the other
    arguments' checks that need no database) passed: all their mistakes at once."""
    principal = require_principal(info)
    found = InputErrors()
    reservation_id = found.check(parse_id, id, "reservation")
    if input_checks is not None:
        found.check(input_checks)
    if (error := found.as_error()) is not None:
        return ReservationPayload(errors=user_errors(error, at))
    assert reservation_id is not None
    row, errors = await errors_as_data(transition(principal, reservation_id), at)
    return ReservationPayload(reservation=Reservation.from_row(row) if row else None, errors=errors)


async def confirm_reservation(
    info: Info,
    id: Annotated[
        strawberry.ID, strawberry.argument(description="The paid PENDING reservation to accept.")
    ],
) -> ReservationPayload:
    """The host accepts a paid booking on a listing without instant booking."""
    return await _run(
        info,
        id,
        lambda principal, reservation_id: booking.confirm(
            info.context.db, principal=principal, reservation_id=reservation_id
        ),
    )


async def cancel_reservation(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The reservation to cancel.")],
    reason: Annotated[
        str | None,
        strawberry.argument(description="Why, at most 500 characters; kept as cancelReason."),
    ] = None,
) -> ReservationPayload:
    return await _run(
        info,
        id,
        lambda principal, reservation_id: booking.cancel(
            info.context.db,
            principal=principal,
            reservation_id=reservation_id,
            reason=reason,
            provider=info.context.payments,
        ),
        input_checks=lambda: cancellation.checked_reason(reason),
    )


async def change_reservation_dates(
    info: Info,
    input: Annotated[
        ChangeReservationDatesInput,
        strawberry.argument(description="The reservation and its new nights."),
    ],
) -> ReservationPayload:
    return await _run(
        info,
        input.id,
        lambda principal, reservation_id: booking.change_dates(
            info.context.db,
            principal=principal,
            reservation_id=reservation_id,
            start_date=input.start_date,
            end_date=input.end_date,
            nights=input.nights,
            quantity=input.quantity,
            provider=info.context.payments,
        ),
        input_checks=lambda: requested_stay(
            input.start_date, input.end_date, input.nights, input.quantity
        ),
        at=INPUT,
    )


async def check_in(
    info: Info,
    id: Annotated[
        strawberry.ID,
        strawberry.argument(description="The CONFIRMED reservation whose guest arrived."),
    ],
) -> ReservationPayload:
    return await _run(
        info,
        id,
        lambda principal, reservation_id: booking.check_in(
            info.context.db, principal=principal, reservation_id=reservation_id
        ),
    )


async def check_out(
    info: Info,
    id: Annotated[
        strawberry.ID, strawberry.argument(description="The ACTIVE reservation whose guest left.")
    ],
) -> ReservationPayload:
    return await _run(
        info,
        id,
        lambda principal, reservation_id: booking.check_out(
            info.context.db, principal=principal, reservation_id=reservation_id
        ),
    )
