"""The demo data shows the no-show outcome: a listing that tracks arrivals, and a no-show
last week that the demo host's report counts."""

from datetime import timedelta

from bookwell.cli.seed import seed
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.stays import today_in
from bookwell.services.reports import reports
from tests.support.lifecycle_steps import sql


async def test_the_demo_has_a_no_show_in_its_hosts_report(db):
    await seed(db, reservations_count=5)

    [row] = await sql(
        db,
        "SELECT r.listing_id, l.owner_id, l.auto_no_show_after_hours, r.end_date"
        " FROM reservations r JOIN listings l ON l.id = r.listing_id"
        " WHERE r.status = 'NO_SHOW'",
    )
    assert row.auto_no_show_after_hours == 24
    assert row.end_date < today_in("UTC") + timedelta(days=1)
    async with db.read() as session:
        found = await reports.build_report(
            session=session,
            principal=Principal(row.owner_id, Role.HOST),
            start_date=today_in("UTC") - timedelta(days=30),
            end_date=today_in("UTC") + timedelta(days=1),
            listing_id=row.listing_id,
        )
    [listing] = found.listings
    assert listing.figures.no_shows == 1
    assert listing.no_show_revenue > 0
