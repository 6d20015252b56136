"""Mutations that move a reservation through its life (services/lifecycle.py)."""

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.context import Info
from bookwell.resolvers.common import in_transaction, parse_uuid, require_principal
from bookwell.resolvers.waitlist import offer_after_release
from bookwell.schema.errors import UserError
from bookwell.schema.inputs import ChangeReservationDatesInput
from bookwell.schema.payloads import ReservationPayload
from bookwell.schema.reservation import Reservation
from bookwell.services import lifecycle
from bookwell.services.errors import not_found
from bookwell.services.payments import service as payments
from bookwell.services.principal import Principal

Transition = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[Row]]


async def _run(
    info: Info, id: strawberry.ID, transition: Transition, *, frees_units: bool = False
) -> ReservationPayload:
    principal = require_principal(info)
    reservation_id = parse_uuid(id)
    if reservation_id is None:
        return ReservationPayload(errors=[UserError.from_domain(not_found("reservation"))])
    row, errors = await in_transaction(
        info, lambda session: transition(session, principal, reservation_id)
    )
    if row is not None and frees_units:
        # After the commit, in a transaction of its own (services/waitlist.py says why).
        await offer_after_release(info, row.listing_id)
    return ReservationPayload(reservation=Reservation.from_row(row) if row else None, errors=errors)


async def confirm_reservation(info: Info, id: strawberry.ID) -> ReservationPayload:
    """The host accepts a paid booking on a listing without instant booking."""
    return await _run(
        info,
        id,
        lambda session, principal, reservation_id: lifecycle.confirm_reservation(
            session=session, principal=principal, reservation_id=reservation_id
        ),
    )


async def cancel_reservation(
    info: Info, id: strawberry.ID, reason: str | None = None
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

    return await _run(info, id, cancel, frees_units=True)


async def change_reservation_dates(
    info: Info, input: ChangeReservationDatesInput
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

    return await _run(info, input.id, change, frees_units=True)


async def check_in(info: Info, id: strawberry.ID) -> ReservationPayload:
    return await _run(
        info,
        id,
        lambda session, principal, reservation_id: lifecycle.check_in(
            session=session, principal=principal, reservation_id=reservation_id
        ),
    )


async def check_out(info: Info, id: strawberry.ID) -> ReservationPayload:
    return await _run(
        info,
        id,
        lambda session, principal, reservation_id: lifecycle.check_out(
            session=session, principal=principal, reservation_id=reservation_id
        ),
        frees_units=True,
    )
