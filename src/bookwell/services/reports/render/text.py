"""The report as aligned plain text, for a terminal or an email (a monospaced font).

Columns are aligned by display width: wide (East Asian) characters take two cells and
combining marks none; control characters become spaces; long titles are cut with "…".
"""

import unicodedata
from collections.abc import Sequence
from typing import Any

from bookwell.services.reports.figures import Figures, Report
from bookwell.services.reports.render.columns import (
    LISTING_COLUMNS,
    TOTAL_COLUMNS,
    Column,
    Kind,
    shown,
)

MAX_TEXT_WIDTH = 32
GAP = "  "


def _clean(value: str) -> str:
    if value.isprintable():
        return value
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in value)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(value: str) -> int:
    if value.isascii():
        return len(value)
    return sum(_char_width(c) for c in value)


def _cut(value: str, width: int) -> str:
    if display_width(value) <= width:
        return value
    kept, used = [], 0
    for char in value:
        if used + _char_width(char) > width - 1:
            break
        kept.append(char)
        used += _char_width(char)
    return "".join(kept) + "…"


def _pad(value: str, width: int, right: bool) -> str:
    space = " " * (width - display_width(value))
    return space + value if right else value + space


def table(columns: Sequence[Column[Any]], rows: Sequence[object]) -> list[str]:
    """A header, a rule, and one line per row; numbers right-aligned, text left-aligned."""
    cells = [
        [
            shown(column.get(row), column.kind)
            if column.numeric
            else _cut(_clean(str(column.get(row))), MAX_TEXT_WIDTH)
            for column in columns
        ]
        for row in rows
    ]
    widths = [
        max([display_width(column.header), *(display_width(line[n]) for line in cells)])
        for n, column in enumerate(columns)
    ]

    def line(values: Sequence[str]) -> str:
        padded = (
            _pad(value, width, column.numeric)
            for value, width, column in zip(values, widths, columns, strict=True)
        )
        return GAP.join(padded).rstrip()

    return [
        line([column.header for column in columns]),
        GAP.join("-" * width for width in widths),
        *(line(values) for values in cells),
    ]


def _overall(figures: Figures, listings: int) -> str:
    rate = shown(figures.occupancy_rate, Kind.RATE)
    return (
        f"All {listings} listing(s): {figures.booked_nights} of {figures.available_nights} "
        f"available unit-nights booked ({rate}), {figures.blocked_nights} blocked, "
        f"{figures.held_nights} held; {figures.reservations} stay(s), "
        f"{figures.cancellations} cancellation(s)."
    )


def render_text(report: Report) -> str:
    lines = [
        f"Bookwell report: nights {report.start_date.isoformat()} to "
        f"{report.end_date.isoformat()} (check-out day excluded, {report.nights} nights)",
        f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC",
        "",
    ]
    if not report.listings:
        return "\n".join([*lines, "No listings match this report.", ""])
    lines += ["Listings", *table(LISTING_COLUMNS, report.listings), ""]
    lines += ["Totals per currency (amounts are never added across currencies)"]
    lines += [*table(TOTAL_COLUMNS, report.totals), ""]
    lines += [_overall(report.overall, len(report.listings)), ""]
    return "\n".join(lines)
