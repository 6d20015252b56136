"""Occupancy and revenue reports over a window of nights, in set-based SQL.

Definitions (the schema's descriptions and the README say the same):
- The window is the nights [start, end), each listing's own local dates.
- A night is *booked* (sold) by a reservation CONFIRMED, ACTIVE or COMPLETED that covers it;
  *held* by a PENDING one (not a sale); *blocked* by a calendar block (a reservation with
  `external_uid`, any status but CANCELLED and EXPIRED). Blocks are not bookings: they count
  nowhere else, and their unit-nights are not available for sale.
- available unit-nights = units x nights - blocked unit-nights (never below 0 per night).
- A reservation's revenue is spread evenly over its nights: the nights [a, b) of an n-night
  stay with total T earn round(T * b / n, 2) - round(T * a / n, 2). Shares telescope, so a
  stay's nights add up to T exactly and any split of a stay over windows loses no cent.
- Cancellations: CANCELLED reservations (not blocks) whose stay overlaps the window.
- No-shows: NO_SHOW reservations whose stay overlaps the window. They are not sold nights
  (the units were freed, and may have been sold again) and not revenue; what they kept (the
  price less the policy's noShowRefundPercent their snapshot agreed: services/payments/
  no_show.py) is `no_show_revenue`, spread over their nights as revenue is.
- Tax collected: the taxes in the sold reservations' totals (added and included ones, their
  price snapshots' TAX lines, stored as tax_amount), spread over their nights as revenue is;
  net revenue is revenue less tax collected.
- Lead time: start_date minus the local date (listing timezone) of created_at, in days;
  length of stay: the whole stay's nights; both averaged over the sold reservations that have
  a night in the window.
- Slot reservations (starts_at set) are counted on their local date (start_date; end_date is
  the day after) as `quantity` units for that day: a table sold for two sittings counts twice.
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, check_text, not_found
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from bookwell.services.reports.figures import Figures, ListingReport, Report, currency_totals, total

MAX_REPORT_NIGHTS = 366


@dataclass(frozen=True, slots=True)
class ReportWindow:
    start: date
    end: date

    @property
    def nights(self) -> int:
        return (self.end - self.start).days


def report_window(start: date, end: date) -> ReportWindow:
    if end <= start:
        raise DomainError(ErrorCode.INVALID_DATES, "endDate must be after startDate.", "endDate")
    if (end - start).days > MAX_REPORT_NIGHTS:
        raise DomainError(
            ErrorCode.INVALID_DATES,
            f"A report covers at most {MAX_REPORT_NIGHTS} nights; ask for shorter ranges.",
            "endDate",
        )
    return ReportWindow(start, end)


def require_reporter(principal: Principal) -> None:
    """Hosts (on their own listings) and admins read reports; guests do not."""
    if principal.role not in (Role.HOST, Role.ADMIN):
        raise DomainError(ErrorCode.FORBIDDEN, "Reports are for hosts and admins.")


def _listing_scope(
    principal: Principal, listing_id: uuid.UUID | None, city: str | None
) -> dict[str, Any]:
    """Bind parameters choosing the listings: a host's own, or any for an admin."""
    require_reporter(principal)
    params: dict[str, Any] = {}
    if principal.role is not Role.ADMIN:
        params["owner_id"] = principal.user_id
    if listing_id is not None:
        params["listing_id"] = listing_id
    if city is not None:
        params["city"] = check_text(city, "city").strip().lower()
    return params


_CONDITIONS = {
    "owner_id": "l.owner_id = :owner_id",
    "listing_id": "l.id = :listing_id",
    "city": "lower(l.city) = :city",
}

# One statement: the reservations overlapping the window on the listings in scope (classified
# once), their nights in the window counted per listing-night and folded into an array per
# listing, the per-listing sums, and every listing in scope (also those with no reservation).
_REPORT_SQL = """
WITH relevant AS (
    SELECT r.listing_id, l.units, r.quantity, r.total_amount, r.tax_amount,
           r.start_date, r.end_date, r.adults, r.children,
           -- A no-show's price less its policy's share given back, as no_show.py refunds it
           -- (the snapshot is read for no-shows only: CASE does not evaluate the rest).
           CASE WHEN r.status = 'NO_SHOW' THEN
               r.total_amount - round(r.total_amount * coalesce(
                   (r.price_snapshot #>> '{policy,noShowRefundPercent}')::int, 0) / 100.0, 2)
           END AS kept_amount,
           greatest(r.start_date, CAST(:start AS date)) AS first_night,
           least(r.end_date, CAST(:end AS date)) AS stop,
           r.start_date - (r.created_at AT TIME ZONE l.timezone)::date AS lead_days,
           CASE
               WHEN r.external_uid IS NOT NULL THEN
                   CASE WHEN r.status <> 'CANCELLED' THEN 'block' END
               WHEN r.status IN ('CONFIRMED', 'ACTIVE', 'COMPLETED') THEN 'sale'
               WHEN r.status = 'NO_SHOW' THEN 'no_show'
               -- A hold past its expiresAt no longer counts, swept or not.
               WHEN r.status = 'PENDING' THEN
                   CASE WHEN r.expires_at IS NULL OR r.expires_at > now() THEN 'hold' END
               ELSE 'cancelled'
           END AS class
      FROM reservations r
      JOIN listings l ON l.id = r.listing_id
     WHERE {conditions}
       AND r.start_date < CAST(:end AS date) AND r.end_date > CAST(:start AS date)
       AND r.status <> 'EXPIRED'
),
nightly AS (
    -- Each reservation's nights in the window, as offsets from its first night. The LIMIT
    -- (never reached) tells the planner how many rows a call returns: it otherwise assumes
    -- 1000, and the inflated cost switches JIT compilation on, a second on its own.
    SELECT r.listing_id, r.units, d.n,
           sum(r.quantity) FILTER (WHERE r.class = 'sale') AS booked,
           sum(r.quantity) FILTER (WHERE r.class = 'hold') AS held,
           sum(r.quantity) FILTER (WHERE r.class = 'block') AS blocked
      FROM relevant r
     CROSS JOIN LATERAL (
               SELECT g.n
                 FROM generate_series(
                          r.first_night - CAST(:start AS date),
                          r.stop - CAST(:start AS date) - 1
                      ) AS g(n)
                LIMIT CAST(:nights AS int)
           ) AS d
     WHERE r.class IN ('sale', 'hold', 'block')
     GROUP BY r.listing_id, r.units, d.n
),
calendar AS (
    -- Only the nights with something on them, as [offset, booked, held, blocked] rows.
    SELECT listing_id,
           array_agg(ARRAY[n, coalesce(booked, 0)::int, coalesce(held, 0)::int,
                           coalesce(blocked, 0)::int] ORDER BY n) AS activity,
           sum(least(coalesce(blocked, 0), units))::int AS blocked_capped
      FROM nightly
     GROUP BY listing_id
),
sums AS (
    SELECT listing_id,
           count(*) FILTER (WHERE class = 'sale') AS reservations,
           count(*) FILTER (WHERE class = 'cancelled') AS cancellations,
           sum(quantity * (stop - first_night)) FILTER (WHERE class = 'sale') AS booked_nights,
           sum(quantity * (stop - first_night)) FILTER (WHERE class = 'hold') AS held_nights,
           sum(quantity * (stop - first_night)) FILTER (WHERE class = 'block') AS blocked_nights,
           sum(round(total_amount * (stop - start_date) / (end_date - start_date), 2)
               - round(total_amount * (first_night - start_date) / (end_date - start_date), 2))
               FILTER (WHERE class = 'sale') AS revenue,
           sum(round(tax_amount * (stop - start_date) / (end_date - start_date), 2)
               - round(tax_amount * (first_night - start_date) / (end_date - start_date), 2))
               FILTER (WHERE class = 'sale') AS tax_collected,
           count(*) FILTER (WHERE class = 'no_show') AS no_shows,
           sum(round(kept_amount * (stop - start_date) / (end_date - start_date), 2)
               - round(kept_amount * (first_night - start_date) / (end_date - start_date), 2))
               FILTER (WHERE class = 'no_show') AS no_show_revenue,
           sum(lead_days) FILTER (WHERE class = 'sale') AS lead_days,
           sum(end_date - start_date) FILTER (WHERE class = 'sale') AS stay_nights,
           sum(adults) FILTER (WHERE class = 'sale') AS adults,
           sum(children) FILTER (WHERE class = 'sale') AS children
      FROM relevant
     GROUP BY listing_id
)
SELECT l.id, l.title, l.city, l.kind, l.timezone, l.currency, l.units,
       coalesce(c.activity, '{}') AS activity,
       l.units * CAST(:nights AS int) - coalesce(c.blocked_capped, 0) AS available_nights,
       coalesce(m.reservations, 0) AS reservations,
       coalesce(m.cancellations, 0) AS cancellations,
       coalesce(m.booked_nights, 0) AS booked_nights,
       coalesce(m.held_nights, 0) AS held_nights,
       coalesce(m.blocked_nights, 0) AS blocked_nights,
       coalesce(m.revenue, 0) AS revenue,
       coalesce(m.tax_collected, 0) AS tax_collected,
       coalesce(m.no_shows, 0) AS no_shows,
       coalesce(m.no_show_revenue, 0) AS no_show_revenue,
       coalesce(m.lead_days, 0) AS lead_days,
       coalesce(m.stay_nights, 0) AS stay_nights,
       coalesce(m.adults, 0) AS adults,
       coalesce(m.children, 0) AS children
  FROM listings l
  LEFT JOIN calendar c ON c.listing_id = l.id
  LEFT JOIN sums m ON m.listing_id = l.id
 WHERE {conditions}
 ORDER BY l.title, l.id
"""


@functools.cache
def _statement(shape: frozenset[str]) -> TextClause:
    conditions = " AND ".join(_CONDITIONS[name] for name in sorted(shape)) or "true"
    return text(_REPORT_SQL.replace("{conditions}", conditions))


def _listing_report(row: Row[*tuple[Any, ...]], window: ReportWindow) -> ListingReport:
    return ListingReport(
        listing_id=row.id,
        title=row.title,
        city=row.city,
        kind=row.kind,
        timezone=row.timezone,
        units=row.units,
        currency=row.currency,
        revenue=Decimal(row.revenue).quantize(Decimal("0.01")),
        no_show_revenue=Decimal(row.no_show_revenue).quantize(Decimal("0.01")),
        tax_collected=Decimal(row.tax_collected).quantize(Decimal("0.01")),
        figures=Figures(
            available_nights=row.available_nights,
            booked_nights=row.booked_nights,
            held_nights=row.held_nights,
            blocked_nights=row.blocked_nights,
            reservations=row.reservations,
            cancellations=row.cancellations,
            no_shows=row.no_shows,
            lead_days=row.lead_days,
            stay_nights=row.stay_nights,
            adults=row.adults,
            children=row.children,
        ),
        start_date=window.start,
        night_count=window.nights,
        activity=row.activity,
    )


async def build_report(
    *,
    session: AsyncSession,
    principal: Principal,
    start_date: date,
    end_date: date,
    listing_id: uuid.UUID | None = None,
    city: str | None = None,
) -> Report:
    """The report on what `principal` may see (a host: their listings; an admin: all),
    narrowed to one listing and/or a city (case-insensitive). A `listing_id` the report then
    lacks (no such listing, another host's, or not in `city`) is NOT_FOUND, the three alike;
    a city without listings gives an empty report. One statement: one consistent snapshot."""
    params = _listing_scope(principal, listing_id, city)
    window = report_window(start_date, end_date)
    statement = _statement(frozenset(params))
    rows = await session.execute(
        statement, params | {"start": window.start, "end": window.end, "nights": window.nights}
    )
    listings = [_listing_report(row, window) for row in rows]
    if listing_id is not None and not listings:
        raise not_found("listing", "listingId")
    return Report(
        start_date=window.start,
        end_date=window.end,
        generated_at=datetime.now(UTC),
        listings=listings,
        totals=currency_totals(listings),
        overall=total(listing.figures for listing in listings),
    )
