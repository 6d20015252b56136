"""The report as CSV for a spreadsheet: one header row, then one row per listing.

Per listing (not per listing-night): every figure of the report fits one row that way, and
the nightly calendar is in the JSON and HTML reports. Totals are not rows (a SUM over the
column would count them twice): they are the column sums per currency. Numbers are plain
(0.7500 for 75%, 1234.50 for money; empty for none), dates ISO. Text cells a spreadsheet
would run as a formula (starting with = + - @ or a control character) get a leading
apostrophe: a host chooses their listing's title, an analyst opens the file.
"""

import csv
import io

from bookwell.services.reports.figures import ListingReport, Report
from bookwell.services.reports.render.columns import LISTING_COLUMNS, Kind, raw

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

HEADER = [
    "listing_id",
    "start_date",
    "end_date",
    "nights",
    "kind",
    "timezone",
    *(column.key for column in LISTING_COLUMNS),
]


def _safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def _row(report: Report, listing: ListingReport) -> list[str]:
    cells = [
        raw(column.get(listing), column.kind)
        if column.kind is not Kind.TEXT
        else _safe(str(column.get(listing)))
        for column in LISTING_COLUMNS
    ]
    return [
        str(listing.listing_id),
        report.start_date.isoformat(),
        report.end_date.isoformat(),
        str(report.nights),
        listing.kind,
        listing.timezone,
        *cells,
    ]


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(_row(report, listing) for listing in report.listings)
    return out.getvalue()
