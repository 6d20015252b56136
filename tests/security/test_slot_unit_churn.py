"""Abuse of updateListing's slotUnits (review of the merge, finding 4, and the trigger
suspicions): a host replaying 10,000 units per call, one statement each under the listing's
lock, and every replace leaving its removed units behind for ever; a unit id changed under
a booking by an UPDATE, which a BEFORE INSERT trigger would not see; the trigger's refusal
reaching the client as a 500.

The defence: at most MAX_SLOT_UNITS units per call (INVALID_INPUT, nothing written); the
whole list written in two statements; removed units no reservation_units row names deleted
(those a booking names stay, without a listing); the trigger on INSERT OR UPDATE OF
unit_id, listing_id; its check_violation answered UNAVAILABLE (services/slots/taking.py)."""

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.services.listings.unit_changes import MAX_SLOT_UNITS
from bookwell.services.slots.buffers import Buffers
from bookwell.services.slots.taking import take_unit
from bookwell.services.slots.times import Slot
from tests.factories import book_slot
from tests.listings.test_slot_units import restaurant, tables, update


async def _unit_rows(db, listing_id) -> tuple[int, int]:
    """(the listing's units, its removed units kept)."""
    async with db.read() as session:
        row = await session.execute(
            text(
                "SELECT count(*) FILTER (WHERE listing_id = :l), "
                "count(*) FILTER (WHERE removed_from_listing_id = :l) FROM listing_units"
            ),
            {"l": listing_id},
        )
        return tuple(row.one())


async def test_replacing_units_again_and_again_does_not_grow_the_table(
    client, db, host, host_token
):
    listing_id = await restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    # A cancelled booking still names the Bar table: that row stays (without a listing).
    booked = await book_slot(
        db,
        host,
        listing_id,
        datetime.combine(date.today() + timedelta(days=3), time(19), tzinfo=UTC),
        party_size=2,
        unit_id=uuid.UUID(units["Bar"]["databaseId"]),
        by_host=True,
        guest_name="Cancelled guest",
    )
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"), {"id": booked.id}
        )
    for seats in (3, 4, 5):
        answer = await update(client, host_token, listing_id, [{"seats": seats}] * MAX_SLOT_UNITS)
        assert answer["errors"] == [], answer
        assert answer["listing"]["units"] == MAX_SLOT_UNITS
        assert {u["seats"] for u in answer["listing"]["bookableUnits"]} == {seats}
        assert await _unit_rows(db, listing_id) == (MAX_SLOT_UNITS, 1)
    async with db.read() as session:
        kept = await session.scalar(
            text("SELECT label FROM listing_units WHERE removed_from_listing_id = :l"),
            {"l": listing_id},
        )
    assert kept == "Bar"


async def test_too_many_units_are_refused_with_nothing_written(client, db, host, host_token):
    listing_id = await restaurant(db, host)
    before = await tables(client, host_token, listing_id)
    answer = await update(client, host_token, listing_id, [{"seats": 2}] * (MAX_SLOT_UNITS + 1))
    assert answer["listing"] is None
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("INVALID_INPUT", ["input", "slotUnits"])
    ]
    assert str(MAX_SLOT_UNITS) in answer["errors"][0]["message"]
    assert await tables(client, host_token, listing_id) == before
    assert await _unit_rows(db, listing_id) == (3, 0)


async def test_the_database_refuses_a_removed_unit_by_update_and_answers_unavailable(
    client, db, host, host_token
):
    listing_id = await restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    starts_at = datetime.combine(date.today() + timedelta(days=3), time(19), tzinfo=UTC)
    booked = await book_slot(
        db,
        host,
        listing_id,
        starts_at,
        party_size=2,
        unit_id=uuid.UUID(units["Bar"]["databaseId"]),
        by_host=True,
        guest_name="Booked guest",
    )
    cancelled = await book_slot(
        db,
        host,
        listing_id,
        starts_at + timedelta(hours=2),
        party_size=2,
        unit_id=uuid.UUID(units["Garden"]["databaseId"]),
        by_host=True,
        guest_name="Cancelled guest",
    )
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"),
            {"id": cancelled.id},
        )
    # Garden goes (named by a cancelled booking: kept without a listing).
    answer = await update(
        client, host_token, listing_id, [{"id": units["Bar"]["id"]}, {"id": units["Window"]["id"]}]
    )
    assert answer["errors"] == [], answer
    garden = units["Garden"]["databaseId"]
    # An UPDATE moving a booking onto the removed table: refused as an INSERT is.
    with pytest.raises(IntegrityError, match="is not one of the units of listing"):
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE reservation_units SET unit_id = :u WHERE reservation_id = :r"),
                {"u": garden, "r": booked.id},
            )
    # An inserter that skipped the listing's lock gets UNAVAILABLE, not a 500.
    later = starts_at + timedelta(hours=4)
    with pytest.raises(DomainError) as refused:
        async with db.transaction() as session:
            await take_unit(
                session=session,
                reservation_id=booked.id,
                listing_id=listing_id,
                unit_id=uuid.UUID(garden),
                slot=Slot(
                    later,
                    later + timedelta(hours=1),
                    later.replace(tzinfo=None),
                    (later + timedelta(hours=1)).replace(tzinfo=None),
                ),
                buffers=Buffers(0, 0),
            )
    assert refused.value.code is ErrorCode.UNAVAILABLE
