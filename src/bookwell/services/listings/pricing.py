"""What a stay costs, and what a cancellation gives back.

A night costs the listing's base price unless a host's price rule covers it (a season, some
weekdays, or both); when several do, the newest rule wins. A booking stores the quote as a
snapshot (line items, total, cancellation policy) so later price or policy changes never
alter what a guest agreed to.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, Text, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, invalid, not_found
from bookwell.models import Listing, ListingKind, ListingTax, PriceRule
from bookwell.services.listings import booking_rules
from bookwell.services.listings.booking_rules import (
    NO_RULES,
    BookingRules,
    booking_rules_from_json,
)
from bookwell.services.listings.booking_rules_store import rules_json as booking_rules_json
from bookwell.services.listings.charges import (
    DISCOUNT,
    Discount,
    Tax,
    discount_line,
    lines_total,
    tax_lines,
    taxes_from_json,
    taxes_in,
)
from bookwell.services.listings.stays import Stay

CENT = Decimal("0.01")
# Line items for the time booked (the late-cancellation share applies to them; fees go back).
# A discount comes off the nights, so it counts with them.
USED = ("NIGHTS", "SLOT", DISCOUNT)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    nightly_price: Decimal
    start_date: date | None = None
    end_date: date | None = None
    weekdays: frozenset[int] | None = None

    def covers(self, night: date) -> bool:
        if self.start_date is not None and night < self.start_date:
            return False
        if self.end_date is not None and night >= self.end_date:
            return False
        return self.weekdays is None or night.isoweekday() in self.weekdays


@dataclass(frozen=True, slots=True)
class Terms:
    """What a quote needs to know of a listing. `rules` are newest first."""

    nightly_price: Decimal
    currency: str
    cleaning_fee: Decimal
    free_cancellation_days: int
    late_refund_percent: int
    timezone: str
    rules: Sequence[Rule] = ()
    # The share of the price a no-show gets back (services/payments/no_show.py).
    no_show_refund_percent: int = 0
    taxes: Sequence[Tax] = ()
    # An archived listing prices nothing new: no quote, hold, offer or move of dates.
    archived: bool = False
    # What may be booked (booking_rules.py), checked by every hold and move of dates.
    booking_rules: BookingRules = NO_RULES
    check_in_time: time = time(0)


@dataclass(frozen=True, slots=True)
class Quote:
    total: Decimal
    snapshot: dict[str, Any]


def rules_json(listing_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[Any]:
    """A listing's price rules as one JSON array, newest first, to read with its row."""
    rule = func.jsonb_build_object(
        "name",
        PriceRule.name,
        "price",
        PriceRule.nightly_price,
        "start",
        PriceRule.start_date,
        "end",
        PriceRule.end_date,
        "weekdays",
        PriceRule.weekdays,
    )
    aggregated = func.jsonb_agg(aggregate_order_by(rule, PriceRule.id.desc()))
    return (
        select(func.coalesce(aggregated, func.jsonb("[]")))
        .where(PriceRule.listing_id == listing_id)
        .scalar_subquery()
    )


def taxes_json(listing_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[Any]:
    """A listing's taxes as one JSON array in their order, numbers as text (never floats)."""
    tax = func.jsonb_build_object(
        "name",
        ListingTax.name,
        "kind",
        ListingTax.kind,
        "inclusive",
        ListingTax.inclusive,
        "rate",
        cast(ListingTax.rate, Text),
        "amount",
        cast(ListingTax.amount, Text),
    )
    aggregated = func.jsonb_agg(aggregate_order_by(tax, ListingTax.position))
    return (
        select(func.coalesce(aggregated, func.jsonb("[]")))
        .where(ListingTax.listing_id == listing_id)
        .scalar_subquery()
    )


TERMS_COLUMNS = (
    Listing.id,
    Listing.kind,
    Listing.units,
    Listing.timezone,
    Listing.nightly_price,
    Listing.currency,
    Listing.cleaning_fee,
    Listing.free_cancellation_days,
    Listing.late_refund_percent,
    Listing.no_show_refund_percent,
    Listing.hold_minutes,
    rules_json(Listing.id).label("rules"),
    taxes_json(Listing.id).label("taxes"),
    Listing.archived_at,
    Listing.check_in_time,
    booking_rules_json(Listing.id).label("booking_rules"),
)


def terms_of(row: Row[*tuple[Any, ...]]) -> Terms:
    """Terms from a row read with TERMS_COLUMNS."""
    return Terms(
        nightly_price=row.nightly_price,
        currency=row.currency,
        cleaning_fee=row.cleaning_fee,
        free_cancellation_days=row.free_cancellation_days,
        late_refund_percent=row.late_refund_percent,
        no_show_refund_percent=row.no_show_refund_percent,
        timezone=row.timezone,
        rules=rules_from_json(row.rules),
        taxes=taxes_from_json(row.taxes),
        archived=row.archived_at is not None,
        booking_rules=booking_rules_from_json(row.booking_rules),
        check_in_time=row.check_in_time,
    )


async def quote_listing(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    booked: Stay,
    quantity: int,
    discount: Discount | None = None,
) -> Quote:
    """What booking `booked` would cost now (no hold taken)."""
    found = await terms_of_listings(session=session, listing_ids=[listing_id])
    if listing_id not in found:
        raise not_found("listing", "listingId")
    return quote_stay(found[listing_id], booked, quantity, discount=discount)


@dataclass(frozen=True, slots=True)
class ListingTerms:
    kind: ListingKind
    terms: Terms


async def terms_of_listings(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ListingTerms]:
    """The terms of many listings in one query (quotes of a page of listings)."""
    rows = await session.execute(select(*TERMS_COLUMNS).where(Listing.id.in_(listing_ids)))
    return {row.id: ListingTerms(row.kind, terms_of(row)) for row in rows}


def quote_stay(
    found: ListingTerms,
    booked: Stay,
    quantity: int,
    *,
    discount: Discount | None = None,
    persons: int | None = None,
) -> Quote:
    """`quote`, for a STAY listing only: what a hold of these nights would be priced, for
    `persons` guests (adults + children, as place_hold counts them)."""
    if found.kind is not ListingKind.STAY:
        raise invalid(
            "listingId", f"A {found.kind.value} listing is priced per slot: see searchSlots."
        )
    return quote(found.terms, booked, quantity, discount=discount, persons=persons)


def archived_error() -> DomainError:
    return DomainError(
        ErrorCode.LISTING_ARCHIVED,
        "This listing is archived: it takes no new bookings.",
        "listingId",
    )


def rules_from_json(items: Sequence[dict[str, Any]]) -> list[Rule]:
    return [
        Rule(
            name=item["name"],
            nightly_price=Decimal(str(item["price"])),
            start_date=date.fromisoformat(item["start"]) if item["start"] else None,
            end_date=date.fromisoformat(item["end"]) if item["end"] else None,
            weekdays=frozenset(item["weekdays"]) if item["weekdays"] else None,
        )
        for item in items
    ]


def refuse_if_rules_broken(terms: Terms, booked: Stay, *, arrival_agreed: bool = False) -> None:
    """RULE_VIOLATED when the host's booking rules forbid the stay (booking_rules.py)."""
    booking_rules.refuse_if_broken(
        terms.booking_rules,
        booked.start,
        booked.end,
        terms.timezone,
        check_in=terms.check_in_time,
        arrival_agreed=arrival_agreed,
    )


def night_price(terms: Terms, night: date) -> tuple[Decimal, str | None]:
    for rule in terms.rules:
        if rule.covers(night):
            return rule.nightly_price, rule.name
    return terms.nightly_price, None


def quote(
    terms: Terms,
    booked: Stay,
    quantity: int,
    *,
    discount: Discount | None = None,
    persons: int | None = None,
) -> Quote:
    """Nights grouped into runs of one price, the cleaning fee, a voucher's discount, the
    taxes (services/listings/charges.py), the total and the policy. `persons` is who pays a
    per-person tax; unknown (None), it is one person per unit booked."""
    if terms.archived:
        raise archived_error()
    items: list[dict[str, Any]] = []
    nights_booked = (booked.end - booked.start).days
    # Each night priced once (rules x nights at most: 100 x 365), then grouped into runs.
    prices = [night_price(terms, booked.start + timedelta(days=n)) for n in range(nights_booked)]
    index = 0
    while index < nights_booked:
        price, rule = prices[index]
        run = index + 1
        while run < nights_booked and prices[run] == (price, rule):
            run += 1
        night = booked.start + timedelta(days=index)
        run_end = booked.start + timedelta(days=run)
        nights, index = run - index, run
        items.append(
            {
                "kind": "NIGHTS",
                "description": f"{nights} night(s) from {night.isoformat()}"
                + (f" ({rule})" if rule else ""),
                "startDate": night.isoformat(),
                "endDate": run_end.isoformat(),
                "unitPrice": str(price),
                "quantity": nights * quantity,
                "amount": str(price * nights * quantity),
            }
        )
    if terms.cleaning_fee:
        items.append(
            {
                "kind": "CLEANING_FEE",
                "description": "Cleaning fee",
                "unitPrice": str(terms.cleaning_fee),
                "quantity": quantity,
                "amount": str(terms.cleaning_fee * quantity),
            }
        )
    nights_amount = sum((Decimal(i["amount"]) for i in items if i["kind"] in USED), Decimal(0))
    if discount is not None:
        items.append(discount_line(discount, nights_amount))
    items.extend(
        tax_lines(
            terms.taxes,
            taxable=lines_total(items),
            persons=quantity if persons is None else persons,
            nights=nights_booked,
        )
    )
    total = lines_total(items)
    snapshot = {
        "currency": terms.currency,
        "timezone": terms.timezone,
        "lineItems": items,
        "total": str(total),
        "taxTotal": str(taxes_in(items)),
        "policy": {
            "freeCancellationDays": terms.free_cancellation_days,
            "lateRefundPercent": terms.late_refund_percent,
            "noShowRefundPercent": terms.no_show_refund_percent,
        },
    }
    if discount is not None:
        snapshot["voucher"] = discount.as_json()
    return Quote(total, snapshot)
