"""The columns every rendering shows, defined once: a header for people, a key for CSV,
how to read the value, and what kind of value it is (how to format and align it)."""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any, Generic, TypeVar

from bookwell.services.reports.figures import CurrencyTotals, ListingReport

T = TypeVar("T", ListingReport, CurrencyTotals)
Value = str | int | float | Decimal | None


class Kind(enum.Enum):
    TEXT = "text"
    COUNT = "count"
    RATE = "rate"  # a fraction: 0.75
    MONEY = "money"  # a Decimal in the row's currency
    DAYS = "days"


@dataclass(frozen=True, slots=True)
class Column(Generic[T]):
    header: str
    key: str
    get: Callable[[T], Value]
    kind: Kind = Kind.COUNT

    @property
    def numeric(self) -> bool:
        return self.kind is not Kind.TEXT


def shown(value: Value, kind: Kind) -> str:
    """For people (TEXT, HTML): a percentage, thousands separators, "-" for none."""
    if value is None:
        return "-"
    if kind is Kind.RATE:
        return f"{float(value) * 100:.1f}%"
    if kind is Kind.MONEY:
        return f"{Decimal(value):,.2f}"
    if kind is Kind.DAYS:
        return f"{float(value):.1f}"
    return str(value)


def raw(value: Value, kind: Kind) -> str:
    """For spreadsheets (CSV): plain numbers a spreadsheet reads as numbers, "" for none."""
    if value is None:
        return ""
    if kind is Kind.RATE:
        return f"{float(value):.4f}"
    if kind is Kind.MONEY:
        return f"{Decimal(value):.2f}"
    return str(value)


def _figure_columns() -> list[Column[Any]]:
    """Columns shared by a listing's row and a currency's totals."""
    return [
        Column("Available", "available_unit_nights", attrgetter("figures.available_nights")),
        Column("Booked", "booked_unit_nights", attrgetter("figures.booked_nights")),
        Column("Held", "held_unit_nights", attrgetter("figures.held_nights")),
        Column("Blocked", "blocked_unit_nights", attrgetter("figures.blocked_nights")),
        Column("Occupancy", "occupancy_rate", attrgetter("figures.occupancy_rate"), Kind.RATE),
        Column("Revenue", "revenue", attrgetter("revenue"), Kind.MONEY),
        Column("Tax", "tax_collected", attrgetter("tax_collected"), Kind.MONEY),
        Column("Net revenue", "net_revenue", attrgetter("net_revenue"), Kind.MONEY),
        Column("ADR", "adr", attrgetter("adr"), Kind.MONEY),
        Column("RevPAR", "revpar", attrgetter("revpar"), Kind.MONEY),
        Column("Stays", "reservations", attrgetter("figures.reservations")),
        Column("Cancelled", "cancellations", attrgetter("figures.cancellations")),
        Column("No-shows", "no_shows", attrgetter("figures.no_shows")),
        Column("Adults", "adults", attrgetter("figures.adults")),
        Column("Children", "children", attrgetter("figures.children")),
        Column("No-show kept", "no_show_revenue", attrgetter("no_show_revenue"), Kind.MONEY),
        Column("Lead days", "average_lead_time_days", _figure("average_lead_time_days"), Kind.DAYS),
        Column(
            "Avg nights", "average_length_of_stay", _figure("average_length_of_stay"), Kind.DAYS
        ),
    ]


def _figure(name: str) -> Callable[[object], Value]:
    return attrgetter(f"figures.{name}")


LISTING_COLUMNS: list[Column[ListingReport]] = [
    Column("Listing", "title", attrgetter("title"), Kind.TEXT),
    Column("City", "city", lambda r: r.city or "", Kind.TEXT),
    Column("Currency", "currency", attrgetter("currency"), Kind.TEXT),
    Column("Units", "units", attrgetter("units")),
    *_figure_columns(),
]

TOTAL_COLUMNS: list[Column[CurrencyTotals]] = [
    Column("Currency", "currency", attrgetter("currency"), Kind.TEXT),
    Column("Listings", "listings", attrgetter("listings")),
    *_figure_columns(),
]
