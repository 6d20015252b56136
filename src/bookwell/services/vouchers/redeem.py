"""Applying a voucher code to a stay on a listing.

A code is looked up among the codes of the listing's host only, so no host's code works on
another's listing (VOUCHER_INVALID, as for a code that does not exist). A booking made with
a voucher holds one of its uses until it is CANCELLED or EXPIRED: uses are counted, not
stored, so a cancellation, an expiry or a booking that fails later (its transaction rolls
back) gives its use back with nothing to undo. `redeem` counts them under the voucher's row
lock, in the booking's transaction: bookings with one code are counted one after another,
and a code with 10 uses books exactly 10 however many race for it.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, check_text
from bookwell.models import Listing, Voucher
from bookwell.services.listings.charges import Discount
from bookwell.services.vouchers.records import holding_uses

FIELD = "voucherCode"


@dataclass(frozen=True, slots=True)
class Applied:
    voucher_id: uuid.UUID
    discount: Discount


def _invalid() -> DomainError:
    return DomainError(
        ErrorCode.VOUCHER_INVALID, "This voucher code is not valid for this listing now.", FIELD
    )


async def _find(
    *, session: AsyncSession, listing_id: uuid.UUID, code: str, lock: bool
) -> Row[*tuple[Any, ...]] | None:
    code = check_text(code, FIELD).strip()
    owner = select(Listing.owner_id).where(Listing.id == listing_id).scalar_subquery()
    stmt = select(
        Voucher.id,
        Voucher.code,
        Voucher.kind,
        Voucher.value,
        Voucher.valid_from,
        Voucher.valid_until,
        Voucher.usage_limit,
        Voucher.listing_ids,
        Voucher.active,
        func.now().label("now"),
    ).where(Voucher.owner_id == owner, func.upper(Voucher.code) == code.upper())
    if lock:
        stmt = stmt.with_for_update(of=Voucher)
    return (await session.execute(stmt)).one_or_none()


def _check(found: Row[*tuple[Any, ...]] | None, listing_id: uuid.UUID) -> Row[*tuple[Any, ...]]:
    if found is None or not found.active or not _in_dates(found, found.now):
        raise _invalid()
    if found.listing_ids is not None and listing_id not in found.listing_ids:
        raise DomainError(
            ErrorCode.VOUCHER_NOT_APPLICABLE, "This voucher is not for this listing.", FIELD
        )
    return found


def _in_dates(found: Row[*tuple[Any, ...]], now: datetime) -> bool:
    if found.valid_from is not None and now < found.valid_from:
        return False
    return found.valid_until is None or now < found.valid_until


def _exhausted() -> DomainError:
    return DomainError(ErrorCode.VOUCHER_EXHAUSTED, "This voucher has been used up.", FIELD)


async def _uses(*, session: AsyncSession, voucher_id: uuid.UUID) -> int:
    # A statement of its own after the lock: its snapshot sees every booking committed
    # before the lock was granted (a subquery of the locking statement would not).
    stmt = select(holding_uses(Voucher.id)).where(Voucher.id == voucher_id)
    return (await session.execute(stmt)).scalar_one()


async def _applicable(
    *, session: AsyncSession, listing_id: uuid.UUID, code: str, lock: bool
) -> Applied:
    found = _check(
        await _find(session=session, listing_id=listing_id, code=code, lock=lock), listing_id
    )
    limit = found.usage_limit
    if limit is not None and await _uses(session=session, voucher_id=found.id) >= limit:
        raise _exhausted()
    return Applied(found.id, Discount(found.code, found.kind, found.value))


async def preview(*, session: AsyncSession, listing_id: uuid.UUID, code: str) -> Discount:
    """The discount `code` would give on the listing now (a quote): no lock, no use taken,
    so a code free now may be used up by the time of booking."""
    applied = await _applicable(session=session, listing_id=listing_id, code=code, lock=False)
    return applied.discount


async def redeem(*, session: AsyncSession, listing_id: uuid.UUID, code: str) -> Applied:
    """Take one of the code's uses for a booking about to be inserted in this transaction
    (store `voucher_id` on it): the voucher's row stays locked until the commit."""
    return await _applicable(session=session, listing_id=listing_id, code=code, lock=True)
