"""The report service against a known calendar: every figure checked by hand-computed values
(worked out in tests/reports/report_calendar.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from bookwell.core.db import Database
from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import ReservationStatus
from bookwell.services.reports.figures import Figures, Report
from bookwell.services.reports.reports import MAX_REPORT_NIGHTS, build_report
from tests.reports.report_calendar import (
    END,
    START,
    Calendar,
    add_reservation,
    build_calendar,
    march,
)


@pytest.fixture
async def calendar(db: Database) -> Calendar:
    return await build_calendar(db)


async def report(db: Database, principal, start=START, end=END, **narrowing) -> Report:
    async with db.read() as session:
        return await build_report(
            session=session, principal=principal, start_date=start, end_date=end, **narrowing
        )


def by_title(found: Report) -> dict:
    return {listing.title: listing for listing in found.listings}


def nightly(listing) -> list[tuple[int, int, int, int]]:
    return [(n.booked, n.held, n.blocked, n.free) for n in listing.nights]


async def test_a_multi_unit_listing_with_partial_overlaps_holds_blocks_and_cancellations(
    db, calendar
):
    alpha = by_title(await report(db, calendar.host))["Alpha flat"]

    assert alpha.listing_id == calendar.alpha
    assert (alpha.units, alpha.currency, alpha.timezone, alpha.city) == (
        2,
        "EUR",
        "Europe/Paris",
        "Paris",
    )
    assert [n.date for n in alpha.nights] == [START + timedelta(days=d) for d in range(10)]
    assert nightly(alpha) == [
        (1, 0, 0, 1),  # 10: a1
        (1, 0, 0, 1),  # 11: a1
        (0, 1, 0, 1),  # 12: a3 PENDING (a6 EXPIRED is nothing)
        (0, 1, 1, 0),  # 13: a3 and the block
        (0, 0, 1, 1),  # 14: the block
        (2, 0, 0, 0),  # 15-17: a2, both units
        (2, 0, 0, 0),
        (2, 0, 0, 0),
        (1, 0, 0, 1),  # 18-19: a7 COMPLETED (a4 CANCELLED is nothing)
        (1, 0, 0, 1),
    ]
    assert alpha.figures == Figures(
        available_nights=18,
        booked_nights=10,
        held_nights=2,
        blocked_nights=2,
        reservations=3,
        cancellations=1,
        lead_days=9 + 14 + 59,
        stay_nights=4 + 3 + 7,
    )
    assert alpha.figures.occupancy_rate == 0.5556
    assert alpha.revenue == Decimal("328.57")
    assert alpha.adr == Decimal("32.86")
    assert alpha.revpar == Decimal("18.25")
    assert alpha.figures.average_lead_time_days == 27.33
    assert alpha.figures.average_length_of_stay == 4.67


async def test_lead_time_counts_from_the_booking_date_in_the_listing_timezone(db, calendar):
    bravo = by_title(await report(db, calendar.host))["Bravo loft"]

    # Made 03-02 05:00 UTC (03-01 in Los Angeles) for 03-11, and 03-19 06:00 UTC (03-18
    # there) for 03-19: 10 and 1 days, where UTC dates would give 9 and 0.
    assert bravo.figures.lead_days == 11
    assert bravo.figures.average_lead_time_days == 5.5
    assert nightly(bravo) == [
        (0, 0, 0, 1), (1, 0, 0, 0), (1, 0, 0, 0), *[(0, 0, 0, 1)] * 6, (1, 0, 0, 0),
    ]  # fmt: skip
    assert (bravo.figures.booked_nights, bravo.figures.available_nights) == (3, 10)
    assert bravo.figures.occupancy_rate == 0.3
    assert bravo.revenue == Decimal("333.33")  # 300.00 + a third of 100.00
    assert (bravo.adr, bravo.revpar) == (Decimal("111.11"), Decimal("33.33"))
    assert bravo.figures.average_length_of_stay == 2.5


async def test_slot_reservations_count_on_their_local_date(db, calendar):
    charlie = by_title(await report(db, calendar.host))["Charlie bistro"]

    # Two sittings at the one table on 03-12: 2 booked of 1 unit; the 03-20 slot is after
    # the window.
    assert nightly(charlie)[2:4] == [(2, 0, 0, 0), (0, 1, 0, 0)]
    assert sum(n.booked for n in charlie.nights) == 2
    assert charlie.figures == Figures(
        available_nights=10,
        booked_nights=2,
        held_nights=1,
        blocked_nights=0,
        reservations=2,
        cancellations=0,
        lead_days=22,
        stay_nights=2,
    )
    assert charlie.figures.occupancy_rate == 0.2
    assert (charlie.revenue, charlie.adr, charlie.revpar) == (
        Decimal("140.00"),
        Decimal("70.00"),
        Decimal("14.00"),
    )
    assert charlie.figures.average_lead_time_days == 11.0
    assert charlie.figures.average_length_of_stay == 1.0


async def test_a_listing_with_nothing_booked(db, calendar):
    echo = by_title(await report(db, calendar.host))["Echo studio"]

    assert nightly(echo) == [(0, 0, 0, 1)] * 10
    assert echo.figures == Figures(available_nights=10)
    assert echo.figures.occupancy_rate == 0.0
    assert (echo.revenue, echo.adr, echo.revpar) == (Decimal("0.00"), None, Decimal("0.00"))
    assert echo.figures.average_lead_time_days is None
    assert echo.figures.average_length_of_stay is None


async def test_totals_are_per_currency_and_overall_has_no_money(db, calendar):
    found = await report(db, calendar.host)

    assert [listing.title for listing in found.listings] == [
        "Alpha flat",
        "Bravo loft",
        "Charlie bistro",
        "Echo studio",
    ]
    assert [t.currency for t in found.totals] == ["EUR", "GBP", "USD"]
    eur, gbp, usd = found.totals
    assert eur.listings == 2
    assert eur.figures == Figures(28, 12, 3, 2, 5, 1, 104, 16)
    assert eur.figures.occupancy_rate == 0.4286
    assert (eur.revenue, eur.adr, eur.revpar) == (
        Decimal("468.57"),
        Decimal("39.05"),
        Decimal("16.73"),
    )
    assert (eur.figures.average_lead_time_days, eur.figures.average_length_of_stay) == (20.8, 3.2)
    assert (gbp.listings, gbp.revenue, gbp.adr, gbp.revpar) == (
        1,
        Decimal("0.00"),
        None,
        Decimal("0.00"),
    )
    assert (usd.listings, usd.revenue, usd.figures.booked_nights) == (1, Decimal("333.33"), 3)
    assert found.overall == Figures(48, 15, 3, 2, 7, 1, 115, 21)
    assert found.overall.occupancy_rate == 0.3125
    assert found.overall.average_lead_time_days == 16.43
    assert found.overall.average_length_of_stay == 3.0
    assert (found.start_date, found.end_date, found.nights) == (START, END, 10)


async def test_hosts_see_their_listings_and_admins_all(db, calendar):
    hosts = await report(db, calendar.host)
    admins = await report(db, calendar.admin)
    others = await report(db, calendar.other_host)

    assert calendar.delta not in {listing.listing_id for listing in hosts.listings}
    assert [listing.title for listing in others.listings] == ["Delta house"]
    assert len(admins.listings) == 5
    delta = by_title(admins)["Delta house"]
    assert (delta.figures.booked_nights, delta.figures.occupancy_rate) == (10, 1.0)
    assert (delta.revenue, delta.adr, delta.revpar) == (Decimal("1000.00"),) + (
        Decimal("100.00"),
    ) * 2
    assert delta.figures.average_lead_time_days == 9.0
    assert admins.totals[0].currency == "EUR"
    assert admins.totals[0].revenue == Decimal("1468.57")
    assert admins.totals[0].listings == 3


async def test_listing_and_city_narrow_the_report(db, calendar):
    one = await report(db, calendar.host, listing_id=calendar.bravo)
    paris = await report(db, calendar.host, city=" PARIS ")
    paris_all = await report(db, calendar.admin, city="paris")
    nowhere = await report(db, calendar.host, city="Atlantis")

    assert [listing.title for listing in one.listings] == ["Bravo loft"]
    assert [t.currency for t in one.totals] == ["USD"]
    assert [listing.title for listing in paris.listings] == ["Alpha flat", "Charlie bistro"]
    assert len(paris_all.listings) == 3
    assert (nowhere.listings, nowhere.totals, nowhere.overall) == ([], [], Figures())
    assert nowhere.overall.occupancy_rate is None


async def test_a_listing_outside_the_city_is_not_found_either(db, calendar):
    with pytest.raises(DomainError) as raised:
        await report(db, calendar.admin, listing_id=calendar.delta, city="London")
    assert raised.value.code is ErrorCode.NOT_FOUND


async def test_a_listing_the_host_may_not_see_is_not_found(db, calendar):
    for principal, listing_id in [
        (calendar.host, calendar.delta),
        (calendar.other_host, calendar.alpha),
    ]:
        with pytest.raises(DomainError) as raised:
            await report(db, principal, listing_id=listing_id)
        assert (raised.value.code, raised.value.field) == (ErrorCode.NOT_FOUND, ("listingId",))


async def test_guests_may_not_read_reports(db, calendar):
    with pytest.raises(DomainError) as raised:
        await report(db, calendar.guest)
    assert raised.value.code is ErrorCode.FORBIDDEN


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (START, START),
        (START, START - timedelta(days=1)),
        (START, START + timedelta(days=MAX_REPORT_NIGHTS + 1)),
    ],
)
async def test_bad_ranges_are_invalid_dates(db, calendar, start, end):
    with pytest.raises(DomainError) as raised:
        await report(db, calendar.host, start, end)
    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID_DATES, ("endDate",))


async def test_the_longest_range_is_allowed(db, calendar):
    first = march(1)
    found = await report(db, calendar.host, first, first + timedelta(days=MAX_REPORT_NIGHTS))
    alpha = by_title(found)["Alpha flat"]
    assert len(alpha.nights) == MAX_REPORT_NIGHTS
    # Every stay lies wholly in the range now: whole totals, and both cancellations.
    assert alpha.revenue == Decimal("600.00")
    assert alpha.figures.booked_nights == 1 * 4 + 2 * 3 + 1 * 7
    assert alpha.figures.cancellations == 2


async def test_revenue_shares_add_up_to_the_total_over_any_split(db, calendar):
    # b2: 100.00 over 3 nights from 03-19. Night by night: 33.33, 33.34, 33.33.
    nights = [march(19), march(20), march(21), march(22)]
    shares = [
        by_title(await report(db, calendar.host, first, first + timedelta(days=1)))[
            "Bravo loft"
        ].revenue
        for first in nights[:3]
    ]
    assert shares == [Decimal("33.33"), Decimal("33.34"), Decimal("33.33")]
    whole = by_title(await report(db, calendar.host, nights[0], nights[-1]))["Bravo loft"]
    assert whole.revenue == sum(shares) == Decimal("100.00")


async def test_a_reservation_made_later_changes_the_next_report(db, calendar):
    # No cache between reports, and a block's status decides: a CANCELLED block frees.
    await add_reservation(
        db, calendar.echo, march(10), march(12), ReservationStatus.CONFIRMED, "0.00",
        currency="GBP", external_uid="ext-3",
    )  # fmt: skip
    echo = by_title(await report(db, calendar.host))["Echo studio"]
    assert echo.figures.blocked_nights == 2
    assert echo.figures.available_nights == 8
    assert echo.figures.reservations == 0
    assert nightly(echo)[:3] == [(0, 0, 1, 0), (0, 0, 1, 0), (0, 0, 0, 1)]


def test_rates_and_averages_round_and_are_null_without_a_denominator():
    figures = Figures(available_nights=3, booked_nights=1, reservations=3, lead_days=5)
    assert figures.occupancy_rate == 0.3333
    assert figures.average_lead_time_days == 1.67
    assert Figures().occupancy_rate is None
    assert Figures().average_length_of_stay is None


async def test_a_hold_past_its_expiry_counts_nowhere_even_before_the_sweep(db, calendar):
    before = nightly(by_title(await report(db, calendar.host))["Alpha flat"])
    overdue = await add_reservation(
        db, calendar.alpha, march(14), march(15), ReservationStatus.PENDING, "50.00"
    )
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": overdue},
        )
    assert nightly(by_title(await report(db, calendar.host))["Alpha flat"]) == before
