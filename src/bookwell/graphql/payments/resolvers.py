from typing import Annotated

import strawberry

from bookwell.core.errors import InputErrors
from bookwell.flows import payments as payment_flows
from bookwell.graphql.booking.types import Reservation, ReservationPayload
from bookwell.graphql.context import Info
from bookwell.graphql.payments.types import Payment
from bookwell.graphql.shared.common import errors_as_data, parse_id, require_principal
from bookwell.graphql.shared.errors import user_errors
from bookwell.services.booking.idempotency import check_idempotency_key


async def pay(
    info: Info,
    id: Annotated[
        strawberry.ID, strawberry.argument(description="Your PENDING reservation to pay.")
    ],
    idempotency_key: Annotated[
        str,
        strawberry.argument(
            description="1 to 200 characters, one per payment attempt: the same key replays its "
            "answer (never a second charge); after a decline, try again with a new key."
        ),
    ],
) -> ReservationPayload:
    """The guest pays a PENDING hold. Instant-book listings confirm at once; the others wait
    for the host. A decline is kept (payment FAILED) and answered PAYMENT_FAILED; the hold
    stays, to pay again with a new idempotencyKey."""
    guest = require_principal(info)
    found = InputErrors()
    reservation_id = found.check(parse_id, id, "reservation")
    found.check(check_idempotency_key, idempotency_key)
    if (error := found.as_error()) is not None:
        return ReservationPayload(errors=user_errors(error))
    assert reservation_id is not None
    outcome, errors = await errors_as_data(
        payment_flows.pay(
            info.context.db,
            principal=guest,
            reservation_id=reservation_id,
            idempotency_key=idempotency_key,
            provider=info.context.payments,
        )
    )
    if outcome is None:
        return ReservationPayload(errors=errors)
    reservation = Reservation.from_row(outcome.reservation)
    if outcome.payment is not None:
        reservation.prefetched["payment"] = Payment.from_row(
            outcome.payment, client_secret=outcome.client_secret
        )
    return ReservationPayload(reservation=reservation, errors=errors)
