"""GraphQL types of occupancy and revenue reports (services/reports/reports.py has the SQL)."""

from datetime import date, datetime
from typing import Any

import strawberry

from bookwell.core.ids import global_id
from bookwell.graphql.shared.enums import ListingKind, describe_enum
from bookwell.graphql.shared.money import Money
from bookwell.services.reports import figures as found
from bookwell.services.reports import render as reports

ReportFormat = reports.ReportFormat
describe_enum(
    ReportFormat,
    name="ReportFormat",
    description="JSON: the structured report only (`rendered` is null). HTML: a standalone "
    "printable page with an occupancy chart per listing (inline SVG, no script). TEXT: aligned "
    "plain-text tables. CSV: one header row, then one row per listing.",
    values={
        "JSON": "The structured fields only; `rendered` is null.",
        "HTML": "`rendered` is a standalone printable HTML page: a table and an occupancy chart "
        "per listing (inline SVG, no script).",
        "TEXT": "`rendered` is plain text: aligned tables of the listings and of the totals "
        "per currency.",
        "CSV": "`rendered` is CSV: one header row, then one row per listing.",
    },
)

SOLD = "CONFIRMED, ACTIVE or COMPLETED reservations (PENDING holds are not sales)"


@strawberry.type(description="One listing's units on one night (the listing's local date).")
class ReportNight:
    day: date = strawberry.field(
        name="date", description="The night: a guest sleeps from this date on."
    )
    units: int = strawberry.field(description="The listing's units.")
    booked: int = strawberry.field(
        description=f"Units sold for the night: {SOLD}. A slot listing (restaurant, space, "
        "equipment) counts each slot reservation's quantity on its local date, so this may "
        "exceed units when a unit is sold several times a day."
    )
    held: int = strawberry.field(
        description="Units held by PENDING reservations: unpaid holds, not sales."
    )
    blocked: int = strawberry.field(
        description="Units blocked by an imported calendar: not bookings, not for sale."
    )
    free: int = strawberry.field(description="units - booked - held - blocked, at least 0.")


@strawberry.type(
    description="Counts over a set of listings and the report's nights; unit-nights are "
    "units x nights. Rates and averages come from the summed counts, never from averages."
)
class ReportFigures:
    available_nights: int = strawberry.field(
        description="Unit-nights for sale: units x nights, less the unit-nights blocked."
    )
    booked_nights: int = strawberry.field(description=f"Unit-nights sold: {SOLD}.")
    held_nights: int = strawberry.field(description="Unit-nights held by PENDING reservations.")
    blocked_nights: int = strawberry.field(
        description="Unit-nights blocked by imported calendars (not bookings)."
    )
    occupancy_rate: float | None = strawberry.field(
        description="bookedNights / availableNights, a fraction (0.75 is 75%), 4 decimals; "
        "null without available nights. Slot listings may exceed 1."
    )
    reservations: int = strawberry.field(
        description=f"Reservations with a night in the window: {SOLD}."
    )
    cancellations: int = strawberry.field(
        description="CANCELLED reservations whose stay overlaps the window (not expired holds)."
    )
    no_shows: int = strawberry.field(
        description="NO_SHOW reservations whose stay overlaps the window: not sold nights "
        "(their units were freed) and not in revenue; see noShowRevenue."
    )
    adults: int = strawberry.field(
        description=f"Adults of the reservations counted in `reservations` ({SOLD}) that gave "
        "their guests."
    )
    children: int = strawberry.field(
        description="Children of the reservations counted in `reservations` that gave them."
    )
    average_lead_time_days: float | None = strawberry.field(
        description="Mean days from booking to arrival over `reservations`: startDate minus the "
        "date the reservation was made, that date taken in the listing's timezone. 2 decimals."
    )
    average_length_of_stay: float | None = strawberry.field(
        description="Mean nights of the whole stays counted in `reservations` (also nights "
        "outside the window; a slot reservation is 1). 2 decimals."
    )


@strawberry.type
class RevenueFigures(ReportFigures):
    revenue: Money = strawberry.field(
        description="What the window's nights earned: each sold reservation's total spread "
        "evenly over its nights; a stay only partly in the window brings its nights' share. "
        "Shares are rounded so that a stay's nights add up to its total to the cent."
    )
    tax_collected: Money = strawberry.field(
        description="The taxes in revenue (a listing's taxes, added or included in its "
        "prices, as each booking's price snapshot has them), spread over nights as revenue is."
    )
    net_revenue: Money = strawberry.field(description="revenue less taxCollected.")
    adr: Money | None = strawberry.field(
        description="Average daily rate: revenue / bookedNights, rounded half up to the cent; "
        "null without booked nights."
    )
    revpar: Money | None = strawberry.field(
        description="Revenue per available unit-night: revenue / availableNights, rounded half "
        "up to the cent; null without available nights."
    )
    no_show_revenue: Money = strawberry.field(
        description="What the window's nights of NO_SHOW reservations kept (the price less "
        "the policy's noShowRefundPercent, 0 by default), spread over their nights as revenue "
        "is; not part of revenue."
    )


def _figures(figures: found.Figures) -> dict[str, Any]:
    return {
        "available_nights": figures.available_nights,
        "booked_nights": figures.booked_nights,
        "held_nights": figures.held_nights,
        "blocked_nights": figures.blocked_nights,
        "occupancy_rate": figures.occupancy_rate,
        "reservations": figures.reservations,
        "cancellations": figures.cancellations,
        "no_shows": figures.no_shows,
        "adults": figures.adults,
        "children": figures.children,
        "average_lead_time_days": figures.average_lead_time_days,
        "average_length_of_stay": figures.average_length_of_stay,
    }


def _revenue(row: found.ListingReport | found.CurrencyTotals) -> dict[str, Any]:
    def money(amount: Any) -> Money | None:
        return None if amount is None else Money.of(amount, row.currency)

    return {
        **_figures(row.figures),
        "revenue": Money.of(row.revenue, row.currency),
        "tax_collected": Money.of(row.tax_collected, row.currency),
        "net_revenue": Money.of(row.net_revenue, row.currency),
        "adr": money(row.adr),
        "revpar": money(row.revpar),
        "no_show_revenue": Money.of(row.no_show_revenue, row.currency),
    }


@strawberry.type
class ListingFacts:
    listing_id: strawberry.ID = strawberry.field(description="The listing's global id.")
    title: str = strawberry.field(description="The listing's title.")
    city: str | None = strawberry.field(description="The listing's city.")
    kind: ListingKind = strawberry.field(description="Stay, or a slot listing's kind.")
    timezone: str = strawberry.field(description="IANA name: the nights are dates there.")
    units: int = strawberry.field(description="The listing's units (its current count).")
    currency: str = strawberry.field(description="ISO 4217 code of every amount here.")


# The first base's fields come first in the schema: identity, then the figures.
@strawberry.type(description="One listing's figures over the report's nights.")
class ListingReport(ListingFacts, RevenueFigures):
    source: strawberry.Private[found.ListingReport]

    @strawberry.field(description="Every night of the window, in date order.")
    def nights(self) -> list[ReportNight]:
        return [
            ReportNight(
                day=n.date,
                units=n.units,
                booked=n.booked,
                held=n.held,
                blocked=n.blocked,
                free=n.free,
            )
            for n in self.source.nights
        ]

    @classmethod
    def of(cls, listing: found.ListingReport) -> "ListingReport":
        return cls(
            listing_id=global_id("Listing", listing.listing_id),
            title=listing.title,
            city=listing.city,
            kind=ListingKind(listing.kind),
            timezone=listing.timezone,
            units=listing.units,
            currency=listing.currency,
            source=listing,
            **_revenue(listing),
        )


@strawberry.type
class CurrencyFacts:
    currency: str = strawberry.field(description="ISO 4217 code.")
    listings: int = strawberry.field(description="Listings priced in this currency.")


@strawberry.type(
    description="The listings of one currency together: counts and money summed over them."
)
class CurrencyTotals(CurrencyFacts, RevenueFigures):
    @classmethod
    def of(cls, totals: found.CurrencyTotals) -> "CurrencyTotals":
        return cls(currency=totals.currency, listings=totals.listings, **_revenue(totals))


@strawberry.type(
    description="Occupancy and revenue of the listings the caller may see (a host: their own; "
    "an admin: all) over the nights [startDate, endDate), each listing in its own timezone."
)
class Report:
    start_date: date = strawberry.field(description="The first night.")
    end_date: date = strawberry.field(description="The day after the last night (excluded).")
    nights: int = strawberry.field(description="endDate - startDate.")
    generated_at: datetime = strawberry.field(description="When the figures were read.")
    format: ReportFormat = strawberry.field(description="The format asked for.")
    listings: list[ListingReport] = strawberry.field(description="By title, then id.")
    totals: list[CurrencyTotals] = strawberry.field(
        description="One entry per currency, by code. Amounts in different currencies are "
        "never added together, so there is no grand total of money."
    )
    overall: ReportFigures = strawberry.field(
        description="Every listing together: counts, rates and averages, without money."
    )
    source: strawberry.Private[found.Report]

    @strawberry.field(
        description="The report as HTML, TEXT or CSV (see ReportFormat); null for JSON."
    )
    def rendered(self) -> str | None:
        return reports.render(self.source, self.format)

    @classmethod
    def of(cls, report: found.Report, format: reports.ReportFormat) -> "Report":
        return cls(
            start_date=report.start_date,
            end_date=report.end_date,
            nights=report.nights,
            generated_at=report.generated_at,
            format=format,
            listings=[ListingReport.of(listing) for listing in report.listings],
            totals=[CurrencyTotals.of(totals) for totals in report.totals],
            overall=ReportFigures(**_figures(report.overall)),
            source=report,
        )
