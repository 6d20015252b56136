"""What a no-show gets back: the cancellation policy's `noShowRefundPercent` of the price,
as agreed at booking (the price snapshot's policy), 0 unless the host set another.

The cancellation policy's last word (services/listings/pricing.py `refund_due`): a guest
who cancels late gets `lateRefundPercent` of the nights back because the host may still
sell them. A no-show gave no notice at all, and kept the units from other guests until the
grace time passed, so by default the nights and the fees are kept in full (the host
cancelling is the only way to a full refund, as before).

Besides that share, what the guest paid above the current price goes back (a change of
dates that lowered the price, not refunded yet), counted from the payment as
`refund_for_cancellation` does; in the usual case that is nothing and the provider is not
called.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.services.booking.records import ReservationRecord
from bookwell.services.payments import records
from bookwell.services.payments.provider import PaymentProvider
from bookwell.services.payments.records import PaymentRecord
from bookwell.services.payments.service import refund_up_to

CENT = Decimal("0.01")


def no_show_share(snapshot: dict[str, Any] | None) -> Decimal:
    """The share of the price a no-show gets back, as the booking agreed (bookings made
    before the policy had this line agreed to nothing back)."""
    percent = ((snapshot or {}).get("policy") or {}).get("noShowRefundPercent", 0)
    return Decimal(percent) / 100


async def refund_for_no_show(
    *, session: AsyncSession, reservation: ReservationRecord, provider: PaymentProvider
) -> PaymentRecord | None:
    """Settle the payment of a reservation just marked NO_SHOW: None when nothing was paid;
    else the payment row, PAID (nothing back) unless it was paid above the price."""
    payment = await records.lock_payment(session=session, reservation_id=reservation.id)
    if payment is None:
        return None
    overpaid = max(payment.amount - reservation.total_amount, Decimal(0))
    share = (reservation.total_amount * no_show_share(reservation.price_snapshot)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    due = overpaid + share
    return await refund_up_to(
        session=session, provider=provider, reservation_id=reservation.id, total_refund=due
    )
