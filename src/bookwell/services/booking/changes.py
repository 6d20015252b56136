"""What a change of dates may do to a reservation's money: nothing while a payment awaits
the guest's confirmation (a PaymentIntent for the old total would pay the new one), and
never a better refund than cancelling would give (services/listings/pricing.py `repriced`).
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import Payment, PaymentStatus

# Money was taken (and maybe partly given back): a change is settled against it.
SETTLED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


async def payment_before_change(
    *, session: AsyncSession, reservation_id: uuid.UUID
) -> PaymentStatus | None:
    """The reservation's payment status (None: no payment), its row locked until the
    transaction ends; the caller holds the reservation's lock (the payments' lock order).
    Refused while a payment awaits confirmation: the intent charges the old total."""
    stmt = select(Payment.status).where(Payment.reservation_id == reservation_id).with_for_update()
    status = (await session.execute(stmt)).scalar_one_or_none()
    if status is PaymentStatus.UNPAID:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "A payment of this reservation is awaiting confirmation: its dates and quantity "
            "cannot change until that payment succeeds or fails.",
            "id",
        )
    return status
