"""Listings: creating them, reading them, filtering them."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import ColumnElement, Select, and_, func, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Listing, ListingKind, new_id
from bookwell.services.errors import DomainError, ErrorCode, check_text, invalid
from bookwell.services.pagination import Page, PageRequest, page_of
from bookwell.services.principal import Principal

LISTING_COLUMNS = tuple(Listing.__table__.c)
MAX_PRICE = Decimal("9999999999.99")
MAX_UNITS = 10_000


@dataclass(frozen=True, slots=True)
class ListingFilter:
    city: str | None = None
    country: str | None = None
    kind: ListingKind | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    min_guests: int | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class NewListing:
    title: str
    nightly_price: str
    kind: ListingKind = ListingKind.STAY
    description: str = ""
    city: str | None = None
    country: str | None = None
    timezone: str = "UTC"
    currency: str = "USD"
    units: int = 1
    max_guests: int | None = None


def parse_money(value: str, field: str) -> Decimal:
    """A non-negative decimal string with at most two places, such as "120" or "120.50"."""
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise invalid(field, "Not a decimal amount such as 120.00.") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        raise invalid(field, f"An amount must be between 0 and {MAX_PRICE}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise invalid(field, "An amount has at most two decimal places.")
    return amount.quantize(Decimal("0.01"))


def check_timezone(name: str, field: str = "timezone") -> ZoneInfo:
    # available_timezones() rejects names ZoneInfo would read as paths ("../etc").
    if name not in _TIMEZONES:
        raise invalid(field, f"Unknown IANA timezone {name!r}, e.g. Europe/Paris.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(field, f"Unknown IANA timezone {name!r}.") from None


_TIMEZONES = frozenset(available_timezones()) | {"UTC"}


async def create_listing(*, session: AsyncSession, owner: Principal, data: NewListing) -> Row:
    if owner.role.value not in ("HOST", "ADMIN"):
        raise DomainError(ErrorCode.FORBIDDEN, "Only hosts create listings.")
    for field, value in (
        ("title", data.title),
        ("description", data.description),
        ("city", data.city),
        ("country", data.country),
        ("currency", data.currency),
        ("timezone", data.timezone),
    ):
        if value is not None:
            check_text(value, field)
    title = data.title.strip()
    if not 1 <= len(title) <= 200:
        raise invalid("title", "A title needs 1 to 200 characters.")
    if len(data.description) > 10_000:
        raise invalid("description", "A description has at most 10000 characters.")
    if data.city is not None and not 1 <= len(data.city.strip()) <= 120:
        raise invalid("city", "A city needs 1 to 120 characters.")
    country = data.country.strip().upper() if data.country else None
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise invalid("country", "A country is an ISO 3166 two-letter code such as FR.")
    currency = data.currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid("currency", "A currency is an ISO 4217 code such as EUR.")
    check_timezone(data.timezone)
    if not 1 <= data.units <= MAX_UNITS:
        raise invalid("units", f"units must be between 1 and {MAX_UNITS}.")
    if data.max_guests is not None and not 1 <= data.max_guests <= 1000:
        raise invalid("maxGuests", "maxGuests must be between 1 and 1000.")
    stmt = (
        insert(Listing)
        .values(
            id=new_id(),
            owner_id=owner.user_id,
            kind=data.kind,
            title=title,
            description=data.description,
            city=data.city.strip() if data.city else None,
            country=country,
            timezone=data.timezone,
            nightly_price=parse_money(data.nightly_price, "nightlyPrice"),
            currency=currency,
            units=data.units,
            max_guests=data.max_guests,
        )
        .returning(*LISTING_COLUMNS)
    )
    return (await session.execute(stmt)).one()


async def listings_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Row]:
    stmt = select(*LISTING_COLUMNS).where(Listing.id.in_(ids))
    return list((await session.execute(stmt)).all())


def filter_conditions(f: ListingFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    for field, value in (("city", f.city), ("country", f.country), ("text", f.text)):
        if value is not None:
            check_text(value, field)
    conditions: list[ColumnElement[bool]] = []
    if f.city:
        conditions.append(func.lower(Listing.city) == f.city.strip().lower())
    if f.country:
        conditions.append(Listing.country == f.country.strip().upper())
    if f.kind:
        conditions.append(Listing.kind == f.kind)
    if f.min_price is not None:
        conditions.append(Listing.nightly_price >= f.min_price)
    if f.max_price is not None:
        conditions.append(Listing.nightly_price <= f.max_price)
    if f.min_guests is not None:
        conditions.append(or_(Listing.max_guests.is_(None), Listing.max_guests >= f.min_guests))
    if f.text and f.text.strip():
        pattern = "%" + _escape_like(f.text.strip()) + "%"
        conditions.append(
            or_(
                Listing.title.ilike(pattern, escape="\\"),
                Listing.description.ilike(pattern, escape="\\"),
            )
        )
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def paged(stmt: Select, page: PageRequest) -> Select:
    """Listings in creation order (UUIDv7 ids), after the cursor, one more than asked."""
    if page.after is not None:
        stmt = stmt.where(Listing.id > page.after)
    return stmt.order_by(Listing.id).limit(page.first + 1)


async def list_listings(
    *, session: AsyncSession, filter: ListingFilter | None, page: PageRequest
) -> Page[Row]:
    stmt = paged(select(*LISTING_COLUMNS).where(and_(True, *filter_conditions(filter))), page)
    return page_of((await session.execute(stmt)).all(), page)


async def count_listings(*, session: AsyncSession, filter: ListingFilter | None) -> int:
    stmt = select(func.count()).select_from(Listing).where(and_(True, *filter_conditions(filter)))
    return (await session.execute(stmt)).scalar_one()
