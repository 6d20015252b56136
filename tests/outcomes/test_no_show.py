"""The no-show outcome: the host marks it (markNoShow), or the scheduler does at a listing
that tracks arrivals (autoNoShowAfterHours); the units are freed and nothing is refunded.

Stays are booked (and paid) for later and then moved to the dates a test needs with one
UPDATE (tests/support/stay_clock.py), with hours of margin around every instant."""

import asyncio
import uuid
from datetime import timedelta

from bookwell.core.errors import ErrorCode
from bookwell.core.ids import global_id
from bookwell.flows import outcomes
from bookwell.models import Role
from bookwell.services.booking import clock, lifecycle, no_show
from bookwell.services.payments.builtin import BuiltinProvider
from tests.factories import book_over_graphql, make_token, make_user
from tests.support.database import inventory_faults
from tests.support.lifecycle_steps import (
    Txn,
    booked,
    outcome_of,
    reservation,
    sql,
    until_waiting,
)
from tests.support.stay_clock import AUCKLAND, LOS_ANGELES, local_now, move, stay_listing, stay_on

FIELDS = "reservation { status payment { status refundedAmount { amount } } } "
MARK = "mutation($id: ID!) { markNoShow(id: $id) { " + FIELDS + "errors { code field message } } }"
POLICY = """mutation($listing: ID!, $hours: Int) {
  setNoShowPolicy(listingId: $listing, autoNoShowAfterHours: $hours) {
    listingId autoNoShowAfterHours errors { code field message } } }"""
READ_POLICY = "query($id: ID!) { listing(id: $id) { autoNoShowAfterHours } }"
PAY = """mutation($id: ID!) { payReservation(id: $id, idempotencyKey: "pay") {
  reservation { status } errors { code } } }"""


async def events(db, reservation_id: uuid.UUID) -> list[tuple[str, dict]]:
    rows = await sql(
        db,
        "SELECT event, data FROM outbox WHERE reservation_id = :id ORDER BY id",
        id=reservation_id,
    )
    return [(row.event, row.data) for row in rows]


async def paid_stay(client, db, listing_id, guest_token, start, end) -> uuid.UUID:
    """Booked and paid for later over the API, then moved to [start, end), CONFIRMED."""
    later = local_now("UTC").date() + timedelta(days=200)
    booked_row = await book_over_graphql(client, guest_token, listing_id, later)
    paid = await client(PAY, {"id": booked_row["id"]}, token=guest_token)
    assert paid.data["payReservation"]["reservation"]["status"] == "CONFIRMED"
    reservation_id = uuid.UUID(booked_row["databaseId"])
    await move(db, reservation_id, "CONFIRMED", start=start, end=end)
    return reservation_id


async def test_the_host_marks_a_paid_guest_who_never_came(
    client, db, host, host_token, guest_token
):
    began = local_now(AUCKLAND) - timedelta(hours=3)
    start, end = began.date(), began.date() + timedelta(days=3)
    listing_id = await stay_listing(db, host, AUCKLAND, units=1, check_in=began.time())
    stay_id = await paid_stay(client, db, listing_id, guest_token, start, end)
    assert await booked(db, listing_id, start + timedelta(days=1)) == 1

    answer = await client(MARK, {"id": global_id("Reservation", stay_id)}, token=host_token)

    payload = answer.data["markNoShow"]
    assert payload["errors"] == []
    assert payload["reservation"]["status"] == "NO_SHOW"
    # The no-show rule: nothing of the price goes back.
    assert payload["reservation"]["payment"] == {
        "status": "PAID",
        "refundedAmount": {"amount": "0.00"},
    }
    row = await reservation(db, stay_id)
    assert row.status.value == "NO_SHOW"
    # The nights still ahead are free to sell again at once.
    assert await booked(db, listing_id, start + timedelta(days=1)) == 0
    assert await events(db, stay_id) == [
        ("reservation.created", {}),
        ("payment.recorded", {}),  # for webhooks: nobody is emailed
        ("reservation.confirmed", {}),
        ("reservation.no_show", {"by": "host"}),
    ]
    again = await client(MARK, {"id": global_id("Reservation", stay_id)}, token=host_token)
    assert [e["code"] for e in again.data["markNoShow"]["errors"]] == ["INVALID_STATE"]
    assert await inventory_faults(db) == []


async def test_who_and_when_a_no_show_may_be_marked(
    client, db, host, guest, host_token, guest_token
):
    began = local_now(LOS_ANGELES) - timedelta(hours=3)
    listing_id = await stay_listing(db, host, LOS_ANGELES, units=6, check_in=began.time())
    today = began.date()
    current = await stay_on(db, guest, listing_id, today, today + timedelta(days=2), "CONFIRMED")
    ahead = await stay_on(
        db, guest, listing_id, today + timedelta(days=5), today + timedelta(days=7), "CONFIRMED"
    )
    over = await stay_on(
        db, guest, listing_id, today - timedelta(days=4), today - timedelta(days=2), "CONFIRMED"
    )
    completed = await stay_on(db, guest, listing_id, today, today + timedelta(days=2), "COMPLETED")
    other_host = await make_token(db, await make_user(db, Role.HOST, "Olga Other"))

    async def refused(reservation_id: uuid.UUID, token: str) -> tuple[str, str]:
        answer = await client(MARK, {"id": global_id("Reservation", reservation_id)}, token=token)
        payload = answer.data["markNoShow"]
        assert payload["reservation"] is None
        (error,) = payload["errors"]
        return error["code"], error["message"]

    assert (await refused(current, guest_token))[0] == "FORBIDDEN"
    assert (await refused(current, other_host))[0] == "NOT_FOUND"
    code, message = await refused(ahead, host_token)
    assert code == "INVALID_STATE" and "from" in message
    code, message = await refused(over, host_token)
    assert code == "INVALID_STATE" and "too late" in message
    assert await refused(completed, host_token) == (
        "INVALID_STATE",
        "A COMPLETED reservation cannot be marked a no-show.",
    )
    assert (await reservation(db, current)).status.value == "CONFIRMED"

    # At a listing that does not track arrivals the clock checks guests in by itself: the
    # host may still say the guest never came.
    async with db.transaction() as session:
        assert await clock.start_due_stays(session=session) == [current]
    answer = await client(MARK, {"id": global_id("Reservation", current)}, token=host_token)
    assert answer.data["markNoShow"]["reservation"]["status"] == "NO_SHOW"


async def test_the_setting_is_the_hosts_and_is_read_on_the_listing(client, db, host, host_token):
    listing_id = await stay_listing(db, host, AUCKLAND)
    listing = global_id("Listing", listing_id)

    answer = await client(POLICY, {"listing": listing, "hours": 6}, token=host_token)
    assert answer.data["setNoShowPolicy"] == {
        "listingId": listing,
        "autoNoShowAfterHours": 6,
        "errors": [],
    }
    read = await client(READ_POLICY, {"id": listing})
    assert read.data["listing"] == {"autoNoShowAfterHours": 6}

    bad = await client(POLICY, {"listing": listing, "hours": 0}, token=host_token)
    assert [(e["code"], e["field"]) for e in bad.data["setNoShowPolicy"]["errors"]] == [
        ("INVALID_INPUT", ["autoNoShowAfterHours"])
    ]
    other_host = await make_token(db, await make_user(db, Role.HOST, "Olga Other"))
    theirs = await client(POLICY, {"listing": listing, "hours": 2}, token=other_host)
    assert [e["code"] for e in theirs.data["setNoShowPolicy"]["errors"]] == ["NOT_FOUND"]

    off = await client(POLICY, {"listing": listing, "hours": None}, token=host_token)
    assert off.data["setNoShowPolicy"]["autoNoShowAfterHours"] is None
    assert (await client(READ_POLICY, {"id": listing})).data["listing"] == {
        "autoNoShowAfterHours": None
    }


async def test_the_scheduler_marks_tracked_guests_not_checked_in_by_the_grace_time(db, host, guest):
    began = local_now(AUCKLAND) - timedelta(hours=3)
    start, end = began.date(), began.date() + timedelta(days=2)
    tracked = await stay_listing(db, host, AUCKLAND, check_in=began.time())
    late = await stay_listing(db, host, AUCKLAND, check_in=(began + timedelta(hours=2)).time())
    untracked = await stay_listing(db, host, AUCKLAND, check_in=began.time())
    await sql(
        db,
        "UPDATE listings SET auto_no_show_after_hours = 2 WHERE id IN (:a, :b)",
        a=tracked,
        b=late,
    )
    missing = await stay_on(db, guest, tracked, start, end, "CONFIRMED")
    arrived = await stay_on(db, guest, tracked, start, end, "ACTIVE")
    # Its check-in began 1 h ago: on the day after `start` when that hour is past midnight
    # there (CI at 01:13 in Auckland once marked it, its check-in taken as a day earlier).
    late_start = (began + timedelta(hours=2)).date()
    still_in_grace = await stay_on(
        db, guest, late, late_start, late_start + timedelta(days=2), "CONFIRMED"
    )
    not_tracked = await stay_on(db, guest, untracked, start, end, "CONFIRMED")

    # The clock leaves check-ins at a tracked listing to the host.
    async with db.transaction() as session:
        assert await clock.start_due_stays(session=session) == [not_tracked]
    assert await outcomes.mark_due_no_shows(db, BuiltinProvider()) == [missing]

    assert (await reservation(db, missing)).status.value == "NO_SHOW"
    assert (await reservation(db, arrived)).status.value == "ACTIVE"
    assert (await reservation(db, still_in_grace)).status.value == "CONFIRMED"
    assert (await reservation(db, not_tracked)).status.value == "ACTIVE"
    assert await events(db, missing) == [("reservation.no_show", {"by": "clock"})]
    assert await events(db, not_tracked) == [("reservation.checked_in", {"by": "clock"})]
    assert await booked(db, tracked, start) == 1  # the guest who arrived
    assert await outcomes.mark_due_no_shows(db, BuiltinProvider()) == []
    assert await inventory_faults(db) == []


async def test_a_tracked_stay_that_ended_unchecked_is_a_no_show_not_completed(db, host, guest):
    left = local_now(AUCKLAND) - timedelta(hours=2)
    start, end = left.date() - timedelta(days=2), left.date()
    listing_id = await stay_listing(db, host, AUCKLAND, check_out=left.time())
    await sql(
        db, "UPDATE listings SET auto_no_show_after_hours = 720 WHERE id = :id", id=listing_id
    )
    never_came = await stay_on(db, guest, listing_id, start, end, "CONFIRMED")
    stayed = await stay_on(db, guest, listing_id, start, end, "ACTIVE")

    async with db.transaction() as session:
        # Before: a confirmed no-show silently became COMPLETED here.
        assert await clock.complete_due_stays(session=session) == [stayed]
    assert await outcomes.mark_due_no_shows(db, BuiltinProvider()) == [never_came]
    assert (await reservation(db, never_came)).status.value == "NO_SHOW"
    assert (await reservation(db, stayed)).status.value == "COMPLETED"


async def test_concurrent_sweeps_mark_each_no_show_once(db, host, guest):
    began = local_now(AUCKLAND) - timedelta(hours=5)
    start, end = began.date(), began.date() + timedelta(days=2)
    listing_id = await stay_listing(db, host, AUCKLAND, units=12, check_in=began.time())
    await sql(db, "UPDATE listings SET auto_no_show_after_hours = 1 WHERE id = :id", id=listing_id)
    due = [await stay_on(db, guest, listing_id, start, end, "CONFIRMED") for _ in range(12)]

    first, second = await asyncio.gather(
        outcomes.mark_due_no_shows(db, BuiltinProvider()),
        outcomes.mark_due_no_shows(db, BuiltinProvider()),
    )

    assert sorted(first + second) == sorted(due)
    rows = await sql(db, "SELECT reservation_id FROM outbox WHERE event = 'reservation.no_show'")
    assert sorted(row.reservation_id for row in rows) == sorted(due)
    assert await booked(db, listing_id, start) == 0
    assert await inventory_faults(db) == []


async def test_a_late_check_in_racing_the_sweep_waits_and_is_told(db, host, guest):
    began = local_now(AUCKLAND) - timedelta(hours=3)
    start, end = began.date(), began.date() + timedelta(days=2)
    listing_id = await stay_listing(db, host, AUCKLAND, check_in=began.time())
    await sql(db, "UPDATE listings SET auto_no_show_after_hours = 2 WHERE id = :id", id=listing_id)
    stay_id = await stay_on(db, guest, listing_id, start, end, "CONFIRMED")

    sweep = Txn(db)
    marked = await sweep.run(lambda s: no_show.mark_due_no_shows(session=s))
    assert [row.id for row in marked.value] == [stay_id]

    async def check_in():
        async with db.transaction() as session:
            return await lifecycle.check_in(session=session, principal=host, reservation_id=stay_id)

    host_side = asyncio.ensure_future(outcome_of(check_in()))
    await until_waiting(db, host_side)
    await sweep.commit()
    outcome = await host_side

    assert outcome.code is ErrorCode.INVALID_STATE
    assert (await reservation(db, stay_id)).status.value == "NO_SHOW"
    assert await events(db, stay_id) == [("reservation.no_show", {"by": "clock"})]
