"""The report as one standalone HTML page a host can open or print: the tables, then an
occupancy chart per listing as inline SVG. No JavaScript, no external resource (styles are
inline, fonts are the system's); every text from the database is escaped."""

from collections.abc import Sequence
from html import escape
from typing import Any

from bookwell.services.reports.figures import Report
from bookwell.services.reports.render.charts import LEGEND, occupancy_chart
from bookwell.services.reports.render.columns import (
    LISTING_COLUMNS,
    TOTAL_COLUMNS,
    Column,
    Kind,
    shown,
)

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1f2933; margin: 2rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
p.meta, p.note, footer { color: #52606d; }
table { border-collapse: collapse; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid #d9e2ec; white-space: nowrap; }
th { text-align: left; background: #f0f4f8; }
th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; }
section.chart { break-inside: avoid; page-break-inside: avoid; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 10px system-ui, sans-serif; fill: #52606d; }
.booked { fill: #2f6db5; } .held { fill: #f0b429; } .blocked { fill: #7b8794; }
.free { fill: #e4ebf2; } .axis { stroke: #9aa5b1; stroke-width: 1; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print { body { margin: 1cm; font-size: 11px; } h2 { break-after: avoid; } }
"""

DEFINITIONS = (
    "Nights are the listing's local dates; the check-out day is not a night. Booked: units "
    "sold (CONFIRMED, ACTIVE or COMPLETED reservations); held: unpaid PENDING holds; blocked: "
    "dates blocked by an imported calendar. Available unit-nights: units x nights less blocked "
    "ones. Occupancy: booked ÷ available. Revenue: each stay's total spread evenly over its "
    "nights (the nights in this report). ADR: revenue ÷ booked unit-nights. RevPAR: revenue ÷ "
    "available unit-nights. Cancelled: cancelled stays overlapping these nights. Lead days: "
    "days from booking (listing's local date) to arrival; avg nights: whole stays; both over "
    "the stays sold. Time slots count once per booked unit on their local date."
)


def _table(columns: Sequence[Column[Any]], rows: Sequence[object]) -> str:
    def cls(column: Column[Any]) -> str:
        return ' class="n"' if column.numeric else ""

    head = "".join(f"<th{cls(c)}>{escape(c.header)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td{cls(c)}>{escape(shown(c.get(row), c.kind))}</td>" for c in columns)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(report: Report) -> str:
    overall = report.overall
    return (
        f"<p>All {len(report.listings)} listing(s): {overall.booked_nights:,} of "
        f"{overall.available_nights:,} available unit-nights booked "
        f"({shown(overall.occupancy_rate, Kind.RATE)}), {overall.blocked_nights:,} blocked, "
        f"{overall.held_nights:,} held; {overall.reservations:,} stay(s), "
        f"{overall.cancellations:,} cancellation(s).</p>"
    )


def _charts(report: Report) -> str:
    sections = []
    for listing in report.listings:
        place = f" · {escape(listing.city)}" if listing.city else ""
        sections.append(
            f'<section class="chart"><h3>{escape(listing.title)}{place}</h3>'
            f"{occupancy_chart(listing)}</section>"
        )
    return "".join(sections)


def render_html(report: Report) -> str:
    period = f"{report.start_date.isoformat()} to {report.end_date.isoformat()}"
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Bookwell report, {escape(period)}</title><style>{STYLE}</style></head><body>",
        "<h1>Occupancy and revenue</h1>",
        f'<p class="meta">{report.nights} night(s) from {escape(period)} (check-out day '
        f"excluded). Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.</p>",
    ]
    if not report.listings:
        parts.append("<p>No listings match this report.</p>")
    else:
        parts += [
            "<h2>Listings</h2>",
            _table(LISTING_COLUMNS, report.listings),
            "<h2>Totals per currency</h2>",
            _table(TOTAL_COLUMNS, report.totals),
            '<p class="note">Amounts in different currencies are never added together.</p>',
            _summary(report),
            "<h2>Units per night</h2>",
            LEGEND,
            _charts(report),
        ]
    parts.append(f"<footer><p>{escape(DEFINITIONS)}</p></footer></body></html>\n")
    return "".join(parts)
