"""A calendar block changes only through its calendar (services/calendar/imports.py)."""

from datetime import timedelta

import pytest

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.services.booking import lifecycle
from tests.factories import make_listing
from tests.support.lifecycle_steps import hold, soon, sql


async def test_a_block_cannot_change_dates_through_the_api(db, host, guest):
    listing_id = await make_listing(db, host, units=2)
    row = await hold(db, guest, listing_id, soon())
    await sql(
        db,
        "UPDATE reservations SET external_uid = 'airbnb-1', guest_id = NULL,"
        " status = 'CONFIRMED', expires_at = NULL, total_amount = 0 WHERE id = :id",
        id=row.id,
    )
    with pytest.raises(DomainError) as refused:
        async with db.transaction() as session:
            await lifecycle.change_dates(
                session=session,
                principal=host,
                reservation_id=row.id,
                start_date=row.start_date + timedelta(days=1),
                nights=2,
            )
    assert refused.value.code is ErrorCode.INVALID_STATE
    assert "calendar" in refused.value.message
