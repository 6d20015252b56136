"""What the voucher services return."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, SQLColumnExpression, func, select

from bookwell.core.records import columns_for
from bookwell.models import Reservation, ReservationStatus, Voucher, VoucherKind


@dataclass(frozen=True, slots=True)
class VoucherRecord:
    id: uuid.UUID
    created_at: datetime
    owner_id: uuid.UUID
    code: str
    kind: VoucherKind
    value: Decimal
    valid_from: datetime | None
    valid_until: datetime | None
    usage_limit: int | None
    listing_ids: list[uuid.UUID] | None
    active: bool
    times_used: int


def holding_uses(voucher_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[int]:
    """How many bookings hold one of the voucher's uses: all made with it but those
    CANCELLED or EXPIRED, and holds past their expiry (whether swept yet or not)."""
    return (
        select(func.count())
        .where(
            Reservation.voucher_id == voucher_id,
            Reservation.status.not_in((ReservationStatus.CANCELLED, ReservationStatus.EXPIRED)),
            ~(
                (Reservation.status == ReservationStatus.PENDING)
                & Reservation.expires_at.is_not(None)
                & (Reservation.expires_at <= func.now())
            ),
        )
        .scalar_subquery()
    )


VOUCHER_COLUMNS = columns_for(VoucherRecord, Voucher.__table__, times_used=holding_uses(Voucher.id))
