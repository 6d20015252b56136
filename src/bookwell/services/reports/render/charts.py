"""A listing's units per night as an inline SVG bar chart (no script): one bar per night,
stacked booked / held / blocked from the bottom, the rest free. Hovering a bar shows the
night's figures (an SVG <title>); colours come from the page's classes and print."""

import math
from html import escape

from bookwell.services.reports.figures import ListingReport, NightUnits

PLOT_HEIGHT = 100
TOP, BOTTOM, LEFT = 8, 18, 30
PLOT_WIDTH = 720
MAX_LABELS = 8

LEGEND = (
    '<svg role="img" aria-label="Legend" width="400" height="18" viewBox="0 0 400 18">'
    + "".join(
        f'<rect class="{cls}" x="{x}" y="4" width="10" height="10"/>'
        f'<text x="{x + 14}" y="13">{label}</text>'
        for x, cls, label in (
            (0, "booked", "booked"),
            (80, "held", "held (pending)"),
            (190, "blocked", "blocked"),
            (270, "free", "free"),
        )
    )
    + "</svg>"
)


def _bar(night: NightUnits, x: float, width: float, unit_height: float) -> str:
    tip = (
        f"{night.date.isoformat()}: {night.booked} booked, {night.held} held, "
        f"{night.blocked} blocked, {night.free} free of {night.units}"
    )
    parts = [
        f'<g><title>{escape(tip)}</title><rect class="free" x="{x:.1f}" y="{TOP}" '
        f'width="{width:.1f}" height="{PLOT_HEIGHT}"/>'
    ]
    # Slot listings may sell a unit several times a day: the bar stops at the top.
    room = night.units
    bottom: float = TOP + PLOT_HEIGHT
    for value, cls in ((night.booked, "booked"), (night.held, "held"), (night.blocked, "blocked")):
        shown = min(value, room)
        if shown <= 0:
            continue
        room -= shown
        height = shown * unit_height
        bottom -= height
        parts.append(
            f'<rect class="{cls}" x="{x:.1f}" y="{bottom:.1f}" '
            f'width="{width:.1f}" height="{height:.1f}"/>'
        )
    parts.append("</g>")
    return "".join(parts)


def occupancy_chart(listing: ListingReport) -> str:
    nights = listing.nights
    step = PLOT_WIDTH / max(len(nights), 1)
    width = step - 1 if step >= 4 else step
    unit_height = PLOT_HEIGHT / listing.units
    total_width = LEFT + PLOT_WIDTH + 4
    total_height = TOP + PLOT_HEIGHT + BOTTOM
    label_every = max(1, math.ceil(len(nights) / MAX_LABELS))
    base = TOP + PLOT_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="Units per night: {escape(listing.title)}" width="{total_width}" '
        f'height="{total_height}" viewBox="0 0 {total_width} {total_height}">',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{listing.units}</text>',
        f'<text x="{LEFT - 4}" y="{base}" text-anchor="end">0</text>',
    ]
    for n, night in enumerate(nights):
        x = LEFT + n * step
        parts.append(_bar(night, x, width, unit_height))
        if n % label_every == 0:
            parts.append(f'<text x="{x:.1f}" y="{base + 13}">{night.date:%m-%d}</text>')
    parts.append(
        f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{LEFT + PLOT_WIDTH}" y2="{base}"/></svg>'
    )
    return "".join(parts)
