import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.context import Info
from bookwell.resolvers.common import in_transaction, parse_uuid, require_principal
from bookwell.schema.errors import UserError
from bookwell.schema.payloads import ReservationPayload
from bookwell.schema.payment import Payment
from bookwell.schema.reservation import Reservation
from bookwell.services.errors import not_found
from bookwell.services.payments.service import PaymentOutcome, RecordedFailure, pay_reservation


async def pay(info: Info, id: strawberry.ID, idempotency_key: str) -> ReservationPayload:
    """The guest pays a PENDING hold. Instant-book listings confirm at once; the others wait
    for the host. A decline is kept (payment FAILED) and answered PAYMENT_FAILED; the hold
    stays, to pay again with a new idempotencyKey."""
    guest = require_principal(info)
    reservation_id = parse_uuid(id)
    if reservation_id is None:
        return ReservationPayload(errors=[UserError.from_domain(not_found("reservation"))])

    async def attempt(session: AsyncSession) -> PaymentOutcome | RecordedFailure:
        try:
            return await pay_reservation(
                session=session,
                principal=guest,
                reservation_id=reservation_id,
                idempotency_key=idempotency_key,
                provider=info.context.payments,
            )
        except RecordedFailure as failure:
            return failure  # returned, not raised: the transaction commits what it recorded

    outcome, errors = await in_transaction(info, attempt)
    if isinstance(outcome, RecordedFailure):
        return ReservationPayload(errors=[UserError.from_domain(outcome)])
    if outcome is None:
        return ReservationPayload(errors=errors)
    reservation = Reservation.from_row(outcome.reservation)
    if outcome.payment is not None:
        reservation.prefetched["payment"] = Payment.from_row(
            outcome.payment, client_secret=outcome.client_secret
        )
    return ReservationPayload(reservation=reservation, errors=errors)
