"""What a no-show gets back: nothing of the price.

The cancellation policy's last word (services/listings/pricing.py `refund_due`): a guest
who cancels late gets `lateRefundPercent` of the nights back because the host may still
sell them. A no-show gave no notice at all, and kept the units from other guests until the
grace time passed, so the nights and the fees are kept in full (the host cancelling is the
only way to a full refund, as before).

Only what the guest paid above the current price goes back (a change of dates that lowered
the price, not refunded yet), counted from the payment as `refund_for_cancellation` does; in
the usual case that is nothing and the provider is not called.
"""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.services.booking.records import ReservationRecord
from bookwell.services.payments import records
from bookwell.services.payments.provider import PaymentProvider
from bookwell.services.payments.records import PaymentRecord
from bookwell.services.payments.service import refund_up_to

# The share of the price a no-show gets back.
NO_SHOW_REFUND = Decimal(0)


async def refund_for_no_show(
    *, session: AsyncSession, reservation: ReservationRecord, provider: PaymentProvider
) -> PaymentRecord | None:
    """Settle the payment of a reservation just marked NO_SHOW: None when nothing was paid;
    else the payment row, PAID (nothing back) unless it was paid above the price."""
    payment = await records.lock_payment(session=session, reservation_id=reservation.id)
    if payment is None:
        return None
    overpaid = max(payment.amount - reservation.total_amount, Decimal(0))
    due = overpaid + reservation.total_amount * NO_SHOW_REFUND
    return await refund_up_to(
        session=session, provider=provider, reservation_id=reservation.id, total_refund=due
    )
