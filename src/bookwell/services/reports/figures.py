"""What a report holds: additive counts per listing, and the rates and averages they give.

Counts add up (a currency's totals are the sum of its listings' counts); rates and averages
are derived from the sums, never averaged from other averages. Money is per currency only.
"""

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter

CENT = Decimal("0.01")


def per_unit(amount: Decimal, count: int) -> Decimal | None:
    """amount / count rounded half up to the cent; None when there is nothing to divide by."""
    if count <= 0:
        return None
    return (amount / count).quantize(CENT, rounding=ROUND_HALF_UP)


def _ratio(numerator: int, denominator: int, places: int) -> float | None:
    return round(numerator / denominator, places) if denominator > 0 else None


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts over a set of listings and the report's nights. `*_nights` are unit-nights."""

    available_nights: int = 0  # units x nights, less the unit-nights blocked
    booked_nights: int = 0  # sold: CONFIRMED, ACTIVE, COMPLETED
    held_nights: int = 0  # PENDING holds
    blocked_nights: int = 0  # calendar blocks
    reservations: int = 0  # sold reservations with a night in the window
    cancellations: int = 0  # CANCELLED reservations whose stay overlaps the window
    lead_days: int = 0  # sum of the sold reservations' lead times
    stay_nights: int = 0  # sum of the sold reservations' whole lengths
    no_shows: int = 0  # NO_SHOW reservations whose stay overlaps the window
    # Guests of the sold reservations that said who comes (services/booking/guests.py).
    adults: int = 0
    children: int = 0

    @property
    def occupancy_rate(self) -> float | None:
        return _ratio(self.booked_nights, self.available_nights, 4)

    @property
    def average_lead_time_days(self) -> float | None:
        return _ratio(self.lead_days, self.reservations, 2)

    @property
    def average_length_of_stay(self) -> float | None:
        return _ratio(self.stay_nights, self.reservations, 2)


_counts = attrgetter(*(field.name for field in dataclasses.fields(Figures)))


def total(figures: Iterable[Figures]) -> Figures:
    """Every count summed over `figures`."""
    columns = list(zip(*map(_counts, figures), strict=True))
    return Figures(*map(sum, columns)) if columns else Figures()


@dataclass(frozen=True, slots=True)
class NightUnits:
    """One listing's units on one night. For slot listings booked may exceed units (a table
    sold for several sittings in a day); free is never below 0."""

    date: date
    units: int
    booked: int
    held: int
    blocked: int

    @property
    def free(self) -> int:
        return max(self.units - self.booked - self.held - self.blocked, 0)


@dataclass(frozen=True, slots=True)
class ListingReport:
    listing_id: uuid.UUID
    title: str
    city: str | None
    kind: str
    timezone: str
    units: int
    currency: str
    revenue: Decimal
    figures: Figures
    start_date: date
    night_count: int
    # The nights with units booked, held or blocked, in date order, each as [offset from
    # start_date, booked, held, blocked]; nights not listed have none. Kept compact (a report
    # may cover 300,000 listing-nights); `nights` spells out every night.
    activity: list[list[int]]
    # What NO_SHOW reservations kept of their price, their nights' shares in the window.
    no_show_revenue: Decimal = Decimal("0.00")
    # The taxes in `revenue` (services/reports/reports.py).
    tax_collected: Decimal = Decimal("0.00")

    @property
    def net_revenue(self) -> Decimal:
        return self.revenue - self.tax_collected

    @property
    def adr(self) -> Decimal | None:
        return per_unit(self.revenue, self.figures.booked_nights)

    @property
    def revpar(self) -> Decimal | None:
        return per_unit(self.revenue, self.figures.available_nights)

    @property
    def nights(self) -> list[NightUnits]:
        counts = [(0, 0, 0)] * self.night_count
        for offset, booked, held, blocked in self.activity:
            counts[offset] = (booked, held, blocked)
        return [
            NightUnits(self.start_date + timedelta(days=n), self.units, *night)
            for n, night in enumerate(counts)
        ]


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    currency: str
    listings: int
    revenue: Decimal
    figures: Figures
    no_show_revenue: Decimal = Decimal("0.00")
    tax_collected: Decimal = Decimal("0.00")

    @property
    def net_revenue(self) -> Decimal:
        return self.revenue - self.tax_collected

    @property
    def adr(self) -> Decimal | None:
        return per_unit(self.revenue, self.figures.booked_nights)

    @property
    def revpar(self) -> Decimal | None:
        return per_unit(self.revenue, self.figures.available_nights)


@dataclass(frozen=True, slots=True)
class Report:
    start_date: date
    end_date: date
    generated_at: datetime
    listings: list[ListingReport]
    # One entry per currency, by currency code: amounts in different currencies never add up.
    totals: list[CurrencyTotals]
    # Every listing together, without money.
    overall: Figures

    @property
    def nights(self) -> int:
        return (self.end_date - self.start_date).days


def currency_totals(listings: list[ListingReport]) -> list[CurrencyTotals]:
    grouped: dict[str, list[ListingReport]] = {}
    for listing in listings:
        grouped.setdefault(listing.currency, []).append(listing)
    return [
        CurrencyTotals(
            currency=currency,
            listings=len(members),
            revenue=sum((m.revenue for m in members), Decimal("0.00")),
            no_show_revenue=sum((m.no_show_revenue for m in members), Decimal("0.00")),
            tax_collected=sum((m.tax_collected for m in members), Decimal("0.00")),
            figures=total(m.figures for m in members),
        )
        for currency, members in sorted(grouped.items())
    ]
