"""Customers and their statistics, one row per guest from the reservations a viewer may see:
a host's listings' guests, every guest for an admin, a guest themself."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Select, case, func, select, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.pagination import Page, PageRequest, keyset, page_of
from bookwell.models import Listing, Payment, PaymentStatus, Reservation, Role, User
from bookwell.models.reservation import ReservationStatus
from bookwell.services.accounts.principal import Principal
from bookwell.services.customers.records import CustomerRecord, Spent

VISITED = (ReservationStatus.ACTIVE, ReservationStatus.COMPLETED)
# Money a guest keeps paid: captured, less what was refunded.
SETTLED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


def _scope(
    stmt: Select[*tuple[Any, ...]], viewer: Principal, listing_id: uuid.UUID | None
) -> Select[*tuple[Any, ...]]:
    """The reservations the viewer's customers come from."""
    stmt = stmt.where(Reservation.guest_id.is_not(None))
    if viewer.role is Role.GUEST:
        return _on(stmt.where(Reservation.guest_id == viewer.user_id), listing_id)
    # A host's own bookings on their listings (a walk-in or phone booking without the
    # guest's address) do not make the host their own customer.
    own = select(Listing.id).where(
        Listing.id == Reservation.listing_id, Listing.owner_id == Reservation.guest_id
    )
    stmt = stmt.where(~own.exists())
    if not viewer.is_admin:
        hosted = select(Listing.id).where(Listing.owner_id == viewer.user_id)
        stmt = stmt.where(Reservation.listing_id.in_(hosted))
    return _on(stmt, listing_id)


def _on(stmt: Select[*tuple[Any, ...]], listing_id: uuid.UUID | None) -> Select[*tuple[Any, ...]]:
    if listing_id is not None:
        stmt = stmt.where(Reservation.listing_id == listing_id)
    return stmt


def _latest(column: Any, *, given: bool = False) -> Any:
    """`column` of the newest of the group's reservations (ids are UUIDv7); `given`: of
    the newest where it is not null."""
    values: Any = func.array_agg(aggregate_order_by(column, Reservation.id.desc()))
    if given:
        values = values.filter(column.is_not(None))
    return type_coerce(values, ARRAY(column.type))[1]


def _customers(viewer: Principal, listing_id: uuid.UUID | None) -> Select[*tuple[Any, ...]]:
    status = Reservation.status
    # A checkout user's row is shared by every host's bookings for its address (anyone may
    # book with it): a customer without an account is named and called as in the viewer's
    # own bookings (the newest), never by that row.
    stmt: Select[*tuple[Any, ...]] = (
        select(
            User.id,
            case((User.checkout, _latest(Reservation.guest_name)), else_=User.name),
            User.email,
            case((User.checkout, _latest(Reservation.guest_phone, given=True)), else_=User.phone),
            func.count().filter(status != ReservationStatus.EXPIRED),
            func.count().filter(status.in_(VISITED)),
            func.count().filter(status == ReservationStatus.NO_SHOW),
            func.count().filter(status == ReservationStatus.CANCELLED),
            func.max(Reservation.start_date).filter(status.in_(VISITED)),
            func.max(Reservation.created_at),
        )
        .join(User, User.id == Reservation.guest_id)
        .group_by(User.id)
    )
    return _scope(stmt, viewer, listing_id)


async def list_customers(
    *,
    session: AsyncSession,
    viewer: Principal,
    listing_id: uuid.UUID | None,
    page: PageRequest,
) -> Page[CustomerRecord]:
    """Newest accounts first (user ids are UUIDv7)."""
    stmt = keyset(_customers(viewer, listing_id), User.id, page, descending=True)
    rows = [CustomerRecord(*row) for row in await session.execute(stmt)]
    return page_of(rows, page)


async def count_customers(
    *, session: AsyncSession, viewer: Principal, listing_id: uuid.UUID | None
) -> int:
    guests = _scope(select(Reservation.guest_id), viewer, listing_id).distinct().subquery()
    return (await session.execute(select(func.count()).select_from(guests))).scalar_one()


async def spent_by(
    *,
    session: AsyncSession,
    viewer: Principal,
    listing_id: uuid.UUID | None,
    guest_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, list[Spent]]:
    """What each of these customers paid, per currency, on the bookings the viewer sees."""
    stmt: Select[*tuple[Any, ...]] = (
        select(
            Reservation.guest_id,
            Payment.currency,
            func.sum(Payment.amount - Payment.refunded_amount),
        )
        .join(Payment, Payment.reservation_id == Reservation.id)
        .where(Reservation.guest_id.in_(guest_ids), Payment.status.in_(SETTLED))
        .group_by(Reservation.guest_id, Payment.currency)
        .order_by(Reservation.guest_id, Payment.currency)
    )
    spent: dict[uuid.UUID, list[Spent]] = {guest: [] for guest in guest_ids}
    for guest_id, currency, amount in await session.execute(_scope(stmt, viewer, listing_id)):
        spent[guest_id].append(Spent(currency, amount))
    return spent
