"""Hosts create, change and list their voucher codes; nobody else sees them."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, invalid, not_found
from bookwell.core.records import build_all
from bookwell.models import Listing, Reservation, Role, Voucher, VoucherKind, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.vouchers.records import VOUCHER_COLUMNS, VoucherRecord

CODE = re.compile(r"[A-Za-z0-9_-]{3,50}")
MAX_LISTINGS = 500
MAX_VALUE = Decimal("1000000")


@dataclass(frozen=True, slots=True)
class NewVoucher:
    code: str
    kind: VoucherKind
    value: Decimal
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    usage_limit: int | None = None
    # None: every listing of the host, now and later.
    listing_ids: Sequence[uuid.UUID] | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class VoucherUpdate:
    """Only the fields that are not None change."""

    active: bool | None = None
    valid_until: datetime | None = None
    usage_limit: int | None = None


def require_host(principal: Principal) -> None:
    if principal.role not in (Role.HOST, Role.ADMIN):
        raise DomainError(ErrorCode.FORBIDDEN, "Vouchers are for hosts.")


def check_voucher(new: NewVoucher) -> None:
    """Every mistake of a new voucher at once."""
    found = InputErrors()
    if not CODE.fullmatch(new.code):
        found.add(invalid("code", "A code has 3 to 50 letters, digits, '-' or '_'."))
    if not 0 < new.value <= MAX_VALUE or new.value != new.value.quantize(Decimal("0.01")):
        found.add(invalid("value", f"value is above 0, at most {MAX_VALUE}, 2 decimals at most."))
    elif new.kind is VoucherKind.PERCENT and new.value > 100:
        found.add(invalid("value", "A percentage is at most 100."))
    if new.valid_from and new.valid_until and new.valid_until <= new.valid_from:
        found.add(
            DomainError(
                ErrorCode.INVALID_DATES, "validUntil must be after validFrom.", "validUntil"
            )
        )
    if new.usage_limit is not None and new.usage_limit < 1:
        found.add(invalid("usageLimit", "usageLimit is at least 1 (or null: no limit)."))
    if new.listing_ids is not None and not 1 <= len(new.listing_ids) <= MAX_LISTINGS:
        found.add(invalid("listingIds", f"1 to {MAX_LISTINGS} listings, or null for all."))
    found.raise_if_any()


async def _check_own_listings(
    *, session: AsyncSession, principal: Principal, listing_ids: Sequence[uuid.UUID]
) -> None:
    """NOT_FOUND unless every listing is the host's own (another's is not told apart)."""
    stmt = select(func.count()).where(
        Listing.id.in_(set(listing_ids)), Listing.owner_id == principal.user_id
    )
    if (await session.execute(stmt)).scalar_one() != len(set(listing_ids)):
        raise not_found("listing", "listingIds")


async def create_voucher(
    *, session: AsyncSession, principal: Principal, new: NewVoucher
) -> VoucherRecord:
    require_host(principal)
    check_voucher(new)
    if new.listing_ids is not None:
        await _check_own_listings(session=session, principal=principal, listing_ids=new.listing_ids)
    stmt = (
        insert(Voucher)
        .values(
            id=new_id(),
            owner_id=principal.user_id,
            code=new.code,
            kind=new.kind,
            value=new.value,
            valid_from=new.valid_from,
            valid_until=new.valid_until,
            usage_limit=new.usage_limit,
            listing_ids=sorted(set(new.listing_ids)) if new.listing_ids is not None else None,
            active=new.active,
        )
        .on_conflict_do_nothing()
        .returning(Voucher.id)
    )
    voucher_id = (await session.execute(stmt)).scalar_one_or_none()
    if voucher_id is None:
        raise DomainError(
            ErrorCode.ALREADY_EXISTS, "You already have a voucher with this code.", "code"
        )
    return await _one(session=session, principal=principal, voucher_id=voucher_id)


async def update_voucher(
    *, session: AsyncSession, principal: Principal, voucher_id: uuid.UUID, change: VoucherUpdate
) -> VoucherRecord:
    """Deactivate (or reactivate) a code, end it earlier or later, change its limit. A lower
    limit than its uses refuses no booking already made, only new ones."""
    require_host(principal)
    if change.usage_limit is not None and change.usage_limit < 1:
        raise invalid("usageLimit", "usageLimit is at least 1.")
    current = await _one(session=session, principal=principal, voucher_id=voucher_id)
    starts = current.valid_from
    if change.valid_until is not None and starts is not None and change.valid_until <= starts:
        raise DomainError(
            ErrorCode.INVALID_DATES, "validUntil must be after validFrom.", "validUntil"
        )
    values = {
        name: value
        for name in ("active", "valid_until", "usage_limit")
        if (value := getattr(change, name)) is not None
    }
    if values:
        stmt = (
            update(Voucher)
            .where(Voucher.id == voucher_id, Voucher.owner_id == principal.user_id)
            .values(**values)
            .returning(Voucher.id)
        )
        if (await session.execute(stmt)).scalar_one_or_none() is None:
            raise not_found("voucher")
    return await _one(session=session, principal=principal, voucher_id=voucher_id)


async def _one(
    *, session: AsyncSession, principal: Principal, voucher_id: uuid.UUID, lock: bool = False
) -> VoucherRecord:
    stmt = select(*VOUCHER_COLUMNS).where(
        Voucher.id == voucher_id, Voucher.owner_id == principal.user_id
    )
    if lock:
        stmt = stmt.with_for_update(of=Voucher)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("voucher")
    return VoucherRecord(*row)


async def list_vouchers(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID | None = None
) -> list[VoucherRecord]:
    """The principal's own codes (an admin's too: only their own), newest first; with
    `listing_id`, those that apply to it."""
    require_host(principal)
    stmt = select(*VOUCHER_COLUMNS).where(Voucher.owner_id == principal.user_id)
    if listing_id is not None:
        owner = select(Listing.owner_id).where(Listing.id == listing_id).scalar_subquery()
        stmt = stmt.where(
            owner == principal.user_id,
            or_(Voucher.listing_ids.is_(None), Voucher.listing_ids.any_() == listing_id),
        )
    return build_all(VoucherRecord, await session.execute(stmt.order_by(Voucher.id.desc())))


async def edit_voucher(
    *,
    session: AsyncSession,
    principal: Principal,
    voucher_id: uuid.UUID,
    edited: NewVoucher,
) -> VoucherRecord:
    """Every term of the voucher set at once (the admin's edit form), checked as a new
    voucher's are; its code stays (`edited.code` is not read). Bookings made with it keep the
    discount they were priced with."""
    require_host(principal)
    current = await _one(session=session, principal=principal, voucher_id=voucher_id, lock=True)
    edited = replace(edited, code=current.code)
    check_voucher(edited)
    if edited.listing_ids is not None:
        await _check_own_listings(
            session=session, principal=principal, listing_ids=edited.listing_ids
        )
    await session.execute(
        update(Voucher)
        .where(Voucher.id == voucher_id)
        .values(
            kind=edited.kind,
            value=edited.value,
            valid_from=edited.valid_from,
            valid_until=edited.valid_until,
            usage_limit=edited.usage_limit,
            listing_ids=None if edited.listing_ids is None else sorted(set(edited.listing_ids)),
            active=edited.active,
        )
    )
    return await _one(session=session, principal=principal, voucher_id=voucher_id)


async def delete_voucher(
    *, session: AsyncSession, principal: Principal, voucher_id: uuid.UUID
) -> None:
    """Delete a voucher no booking was made with (INVALID_STATE otherwise: deactivate it).
    Its row is locked first: a booking redeeming it meanwhile waits, then finds no code."""
    require_host(principal)
    await _one(session=session, principal=principal, voucher_id=voucher_id, lock=True)
    used = select(func.count()).where(Reservation.voucher_id == voucher_id)
    if (count := (await session.execute(used)).scalar_one()) > 0:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"{count} booking(s) were made with this voucher: deactivate it instead.",
            "id",
        )
    await session.execute(delete(Voucher).where(Voucher.id == voucher_id))
