"""The report as a JSON document (HTTP downloads), shaped like the GraphQL `Report`: the same
camelCase names, money as {"amount": "12.30", "currency": "EUR"}, rates and averages as
numbers (null when there is nothing to divide by)."""

from decimal import Decimal
from typing import Any

import orjson

from bookwell.core.ids import global_id
from bookwell.services.reports.figures import CurrencyTotals, Figures, ListingReport, Report


def _money(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    return None if amount is None else {"amount": f"{amount:.2f}", "currency": currency}


def figures_document(figures: Figures) -> dict[str, Any]:
    return {
        "availableNights": figures.available_nights,
        "bookedNights": figures.booked_nights,
        "heldNights": figures.held_nights,
        "blockedNights": figures.blocked_nights,
        "occupancyRate": figures.occupancy_rate,
        "reservations": figures.reservations,
        "cancellations": figures.cancellations,
        "noShows": figures.no_shows,
        "adults": figures.adults,
        "children": figures.children,
        "averageLeadTimeDays": figures.average_lead_time_days,
        "averageLengthOfStay": figures.average_length_of_stay,
    }


def _priced(row: ListingReport | CurrencyTotals) -> dict[str, Any]:
    return {
        **figures_document(row.figures),
        "revenue": _money(row.revenue, row.currency),
        "taxCollected": _money(row.tax_collected, row.currency),
        "netRevenue": _money(row.net_revenue, row.currency),
        "adr": _money(row.adr, row.currency),
        "revpar": _money(row.revpar, row.currency),
        "noShowRevenue": _money(row.no_show_revenue, row.currency),
    }


def _listing(listing: ListingReport) -> dict[str, Any]:
    return {
        "listingId": global_id("Listing", listing.listing_id),
        "title": listing.title,
        "city": listing.city,
        "kind": listing.kind,
        "timezone": listing.timezone,
        "units": listing.units,
        "currency": listing.currency,
        **_priced(listing),
        "nights": [
            {
                "date": night.date.isoformat(),
                "units": night.units,
                "booked": night.booked,
                "held": night.held,
                "blocked": night.blocked,
                "free": night.free,
            }
            for night in listing.nights
        ],
    }


def report_document(report: Report) -> dict[str, Any]:
    return {
        "startDate": report.start_date.isoformat(),
        "endDate": report.end_date.isoformat(),
        "nights": report.nights,
        "generatedAt": report.generated_at.isoformat(),
        "listings": [_listing(listing) for listing in report.listings],
        "totals": [
            {"currency": t.currency, "listings": t.listings, **_priced(t)} for t in report.totals
        ],
        "overall": figures_document(report.overall),
    }


def render_json(report: Report) -> bytes:
    return orjson.dumps(report_document(report))
