"""Mutations that move a reservation through its life (services/booking/lifecycle.py)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import InputErrors
from bookwell.graphql.booking.inputs import ChangeReservationDatesInput
from bookwell.graphql.booking.types import Reservation, ReservationPayload
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import (
    in_transaction,
    offer_after_release,
    parse_id,
    require_principal,
)
from bookwell.graphql.shared.errors import ARGUMENTS, INPUT, ArgumentPaths, user_errors
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import lifecycle
from bookwell.services.listings.stays import requested_stay
from bookwell.services.payments import service as payments

Transition = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[Row]]


async def _run(
    info: Info,
    id: strawberry.ID,
    transition: Transition,
    *,
    frees_units: bool = False,
    input_checks: Callable[[], object] | None = None,
    at: ArgumentPaths = ARGUMENTS,
) -> ReservationPayload:
    """`transition` in a transaction, once the reservation's id and the `input_checks` (the
    other arguments' checks that need no database) passed: all their mistakes at once."""
    principal = require_principal(info)
    found = InputErrors()
    reservation_id = found.check(parse_id, id, "reservation")
    if input_checks is not None:
        found.check(input_checks)
    if (error := found.as_error()) is not None:
        return ReservationPayload(errors=user_errors(error, at))
    assert reservation_id is not None
    row, errors = await in_transaction(
        info, lambda session: transition(session, principal, reservation_id), at=at
    )
    if row is not None and frees_units:
        # After the commit, in a transaction of its own (services/waitlist/waitlist.py says why).
        await offer_after_release(info, row.listing_id)
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
        lambda session, principal, reservation_id: lifecycle.confirm_reservation(
            session=session, principal=principal, reservation_id=reservation_id
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
    async def cancel(session: AsyncSession, principal: Principal, reservation_id: uuid.UUID):
        cancelled = await lifecycle.cancel_reservation(
            session=session, principal=principal, reservation_id=reservation_id, reason=reason
        )
        # In the same transaction: a refund that fails leaves the booking as it was.
        await payments.refund_for_cancellation(
            session=session,
            reservation=cancelled.reservation,
            by_host=cancelled.by_host,
            today=cancelled.today,
            provider=info.context.payments,
        )
        return cancelled.reservation

    return await _run(
        info, id, cancel, frees_units=True, input_checks=lambda: lifecycle.checked_reason(reason)
    )


async def change_reservation_dates(
    info: Info,
    input: Annotated[
        ChangeReservationDatesInput,
        strawberry.argument(description="The reservation and its new nights."),
    ],
) -> ReservationPayload:
    async def change(session: AsyncSession, principal: Principal, reservation_id: uuid.UUID):
        changed = await lifecycle.change_dates(
            session=session,
            principal=principal,
            reservation_id=reservation_id,
            start_date=input.start_date,
            end_date=input.end_date,
            nights=input.nights,
            quantity=input.quantity,
        )
        await payments.settle_price_change(
            session=session, reservation=changed, provider=info.context.payments
        )
        return changed

    return await _run(
        info,
        input.id,
        change,
        frees_units=True,
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
        lambda session, principal, reservation_id: lifecycle.check_in(
            session=session, principal=principal, reservation_id=reservation_id
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
        lambda session, principal, reservation_id: lifecycle.check_out(
            session=session, principal=principal, reservation_id=reservation_id
        ),
        frees_units=True,
    )
