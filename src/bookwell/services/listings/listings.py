"""Listings: creating them, reading them, filtering them."""

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, check_text, invalid
from bookwell.core.pagination import Page, PageRequest, PageShape, keyset, page_of
from bookwell.core.records import build_all
from bookwell.core.statements import one_of
from bookwell.models import Listing, ListingKind, Role, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.location import NO_LOCATION, Location, location_values
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord
from bookwell.services.listings.timezones import check_timezone, known_timezones
from bookwell.services.listings.units import (
    DEFAULT_SLOTS,
    SlotSettings,
    create_units,
    listing_values,
)

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
    # True: archived listings only (a host finding theirs); else listed ones only.
    archived: bool = False


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
    # Time-slot listings: opening hours, slot and sitting lengths, restaurant tables.
    slots: SlotSettings = DEFAULT_SLOTS
    location: Location = NO_LOCATION


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


async def create_listing(
    *, session: AsyncSession, owner: Principal, data: NewListing
) -> ListingRecord:
    if owner.role not in (Role.HOST, Role.ADMIN):
        raise DomainError(ErrorCode.FORBIDDEN, "Only hosts create listings.")
    values = new_listing_values(data, await known_timezones(session=session))
    stmt = (
        insert(Listing)
        .values(id=new_id(), owner_id=owner.user_id, **values)
        .returning(*LISTING_COLUMNS)
    )
    listing = ListingRecord(*(await session.execute(stmt)).one())
    await create_units(session=session, listing=listing, settings=data.slots)
    return listing


def new_listing_values(data: NewListing, timezones: frozenset[str]) -> dict[str, Any]:
    """The columns of a new listing, after checking every field: all mistakes at once.
    `timezones`: the names a listing may have (timezones.known_timezones)."""
    found = InputErrors()
    title = found.check(checked_title, data.title)
    found.check(check_description, data.description)
    city = found.check(checked_city, data.city)
    country = found.check(checked_country, data.country)
    found.check(check_timezone_name, data.timezone, timezones)
    nightly_price = found.check(parse_money, data.nightly_price, "nightlyPrice")
    currency = found.check(checked_currency, data.currency)
    found.check(check_units, data.units)
    found.check(check_max_guests, data.max_guests)
    slot_values = found.check(listing_values, data.kind, data.units, data.slots, MAX_UNITS)
    located = found.check(location_values, data.location)
    found.raise_if_any()
    return {
        "kind": data.kind,
        "title": title,
        "description": data.description,
        "city": city,
        "country": country,
        "timezone": data.timezone,
        "nightly_price": nightly_price,
        "currency": currency,
        "units": data.units,
        "max_guests": data.max_guests,
        **(slot_values or {}),
        **(located or {}),
    }


def checked_title(title: str) -> str:
    title = check_text(title, "title").strip()
    if not 1 <= len(title) <= 200:
        raise invalid("title", "A title needs 1 to 200 characters.")
    return title


def check_description(description: str) -> None:
    if len(check_text(description, "description")) > 10_000:
        raise invalid("description", "A description has at most 10000 characters.")


def checked_city(city: str | None) -> str | None:
    if city is None:
        return None
    city = check_text(city, "city").strip()
    if not 1 <= len(city) <= 120:
        raise invalid("city", "A city needs 1 to 120 characters.")
    return city


def checked_country(country: str | None) -> str | None:
    country = check_text(country, "country").strip().upper() if country else None
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise invalid("country", "A country is an ISO 3166 two-letter code such as FR.")
    return country


def checked_currency(currency: str) -> str:
    currency = check_text(currency, "currency").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid("currency", "A currency is an ISO 4217 code such as EUR.")
    return currency


def check_timezone_name(name: str, timezones: frozenset[str]) -> None:
    check_timezone(check_text(name, "timezone"), timezones)


def check_units(units: int) -> None:
    if not 1 <= units <= MAX_UNITS:
        raise invalid("units", f"units must be between 1 and {MAX_UNITS}.")


def check_max_guests(max_guests: int | None) -> None:
    if max_guests is not None and not 1 <= max_guests <= 1000:
        raise invalid("maxGuests", "maxGuests must be between 1 and 1000.")


_LISTINGS_BY_IDS = select(*LISTING_COLUMNS).where(one_of(Listing.id, "ids"))


async def listings_by_ids(
    *, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[ListingRecord]:
    return build_all(ListingRecord, await session.execute(_LISTINGS_BY_IDS, {"ids": list(ids)}))


# Statements are built once per shape (which criteria a request uses) with bind parameters,
# and reused: building and cache-keying a SELECT costs more than running it on an index.
Shape = frozenset[str]


def filter_params(f: ListingFilter | None) -> tuple[Shape, dict[str, Any]]:
    """The filter as bind parameters, and their names: the shape of the query it needs."""
    if f is None:
        return frozenset(), {}
    for field, value in (("city", f.city), ("country", f.country), ("text", f.text)):
        if value is not None:
            check_text(value, field)
    params: dict[str, Any] = {}
    if f.city:
        params["city"] = f.city.strip().lower()
    if f.country:
        params["country"] = f.country.strip().upper()
    if f.kind:
        params["kind"] = f.kind
    if f.min_price is not None:
        params["min_price"] = f.min_price
    if f.max_price is not None:
        params["max_price"] = f.max_price
    if f.min_guests is not None:
        params["min_guests"] = f.min_guests
    if f.text and f.text.strip():
        params["pattern"] = "%" + _escape_like(f.text.strip()) + "%"
    shape = frozenset(params) | ({"archived"} if f.archived else set())
    return shape, params


def filter_conditions(shape: Shape) -> list[ColumnElement[bool]]:
    """The filter's conditions, and always whether archived: listed listings only (an
    archived one is out of every search, services/listings/archive.py) unless the filter
    asks for archived ones."""
    available: dict[str, Callable[[], ColumnElement[bool]]] = {
        "city": lambda: func.lower(Listing.city) == bindparam("city"),
        "country": lambda: Listing.country == bindparam("country"),
        "kind": lambda: Listing.kind == bindparam("kind"),
        "min_price": lambda: Listing.nightly_price >= bindparam("min_price"),
        "max_price": lambda: Listing.nightly_price <= bindparam("max_price"),
        "min_guests": lambda: or_(
            Listing.max_guests.is_(None), Listing.max_guests >= bindparam("min_guests")
        ),
        "pattern": lambda: or_(
            Listing.title.ilike(bindparam("pattern"), escape="\\"),
            Listing.description.ilike(bindparam("pattern"), escape="\\"),
        ),
    }
    chosen = [condition() for name, condition in available.items() if name in shape]
    if "archived" in shape:
        return [Listing.archived_at.is_not(None), *chosen]
    return [Listing.archived_at.is_(None), *chosen]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def paged(stmt: Select[*tuple[Any, ...]], page: PageShape) -> Select[*tuple[Any, ...]]:
    """Listings in creation order (UUIDv7 ids): a page's range, one more than asked, the
    cursors and limit bound from page_params."""
    return keyset(stmt, Listing.id, page, bound=True)


def page_params(page: PageRequest) -> dict[str, Any]:
    return page.params()


@functools.cache
def _list_statement(shape: Shape, page: PageShape) -> Select[*tuple[Any, ...]]:
    return paged(select(*LISTING_COLUMNS).where(*filter_conditions(shape)), page)


@functools.cache
def _count_statement(shape: Shape) -> Select[int]:
    return select(func.count()).select_from(Listing).where(*filter_conditions(shape))


async def list_listings(
    *, session: AsyncSession, filter: ListingFilter | None, page: PageRequest
) -> Page[ListingRecord]:
    shape, params = filter_params(filter)
    stmt = _list_statement(shape, page.shape)
    rows = await session.execute(stmt, params | page_params(page))
    return page_of(build_all(ListingRecord, rows), page)


async def count_listings(*, session: AsyncSession, filter: ListingFilter | None) -> int:
    shape, params = filter_params(filter)
    return (await session.execute(_count_statement(shape), params)).scalar_one()
