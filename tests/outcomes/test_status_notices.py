"""Every status a reservation reaches is told once: each transition writes exactly one
outbox event, and each person it concerns gets exactly one email for it, through the real
outbox, relay, Redis queue, worker and an SMTP server (the sink).

Who hears of what (workers/notices.py): CONFIRMED, CANCELLED and EXPIRED the guest and the
host; ACTIVE and NO_SHOW the guest, and the host too as the listing says
(notifyHostOnCheckIn, notifyHostOnNoShow): by default when the scheduler made the change (the
host did not act themselves), or ALWAYS, or NEVER; COMPLETED the guest."""

import re
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from bookwell.core.ids import global_id
from bookwell.flows import booking, outcomes
from bookwell.services.booking import clock
from bookwell.services.payments.builtin import BuiltinProvider
from bookwell.workers.background import BackgroundWork
from tests.factories import book, in_days
from tests.support.lifecycle_steps import sql
from tests.support.stay_clock import AUCKLAND, local_now, move, stay_listing
from tests.workers.queue_helpers import eventually, forget_queue, queue_settings, scalar

OUTBOX_ID = re.compile(r"<bookwell\.(\d+)\.")


@pytest.fixture
async def running(settings, redis_server_url, queue_namespace, smtp_sink, database_url):
    config = queue_settings(
        settings, redis_url=redis_server_url, namespace=queue_namespace, smtp_url=smtp_sink.url
    )
    work = BackgroundWork(config, database_url=database_url, redis_url=config.redis_url)
    await work.start()
    yield work
    await work.stop()
    forget_queue(work.broker.client, queue_namespace)


async def test_each_transition_is_one_event_and_one_email_to_each_it_concerns(
    db, host, guest, running, smtp_sink
):
    provider = BuiltinProvider()
    began = local_now(AUCKLAND) - timedelta(hours=3)
    today = began.date()
    listing_id = await stay_listing(db, host, AUCKLAND, units=10, check_in=began.time())
    here = {"start": today, "end": today + timedelta(days=2)}

    async def paid(days: int) -> uuid.UUID:
        return (await book(db, guest, listing_id, in_days(days), nights=2, paid=True)).id

    # PENDING -> CONFIRMED -> ACTIVE (the host) -> COMPLETED
    stayed = await paid(30)
    await move(db, stayed, "CONFIRMED", **here)
    await booking.check_in(db, principal=host, reservation_id=stayed)
    await booking.check_out(db, principal=host, reservation_id=stayed)
    # PENDING -> CONFIRMED -> CANCELLED
    cancelled = await paid(40)
    await booking.cancel(db, principal=guest, reservation_id=cancelled, provider=provider)
    # PENDING -> EXPIRED
    expired = (await book(db, guest, listing_id, in_days(50), nights=2)).id
    await sql(
        db, "UPDATE reservations SET expires_at = now() - interval '1 s' WHERE id = :id", id=expired
    )
    assert [r.id for r in await booking.expire_overdue_holds(db, listing_id=listing_id)] == [
        expired
    ]
    # PENDING -> CONFIRMED -> NO_SHOW (the host)
    no_show = await paid(60)
    await move(db, no_show, "CONFIRMED", **here)
    await outcomes.mark_no_show(db, principal=host, reservation_id=no_show, provider=provider)
    # PENDING -> CONFIRMED -> ACTIVE (the clock)
    clocked = await paid(70)
    await move(db, clocked, "CONFIRMED", **here)
    async with db.transaction() as session:
        assert await clock.start_due_stays(session=session) == [clocked]

    both, guest_only = {"guest", "host"}, {"guest"}
    expected = {
        stayed: [
            ("reservation.created", both),
            ("reservation.confirmed", both),
            ("reservation.checked_in", guest_only),
            ("reservation.completed", guest_only),
        ],
        cancelled: [
            ("reservation.created", both),
            ("reservation.confirmed", both),
            ("reservation.cancelled", both),
        ],
        expired: [("reservation.created", both), ("reservation.expired", both)],
        no_show: [
            ("reservation.created", both),
            ("reservation.confirmed", both),
            ("reservation.no_show", guest_only),
        ],
        clocked: [
            ("reservation.created", both),
            ("reservation.confirmed", both),
            ("reservation.checked_in", both),
        ],
    }
    rows = await sql(db, "SELECT id, reservation_id, event FROM outbox ORDER BY id")
    written = defaultdict(list)
    for row in rows:
        written[row.reservation_id].append(row.event)
    # Exactly one event per transition, in order.
    assert dict(written) == {rid: [event for event, _ in path] for rid, path in expected.items()}

    emails = {
        await scalar(db, "SELECT email FROM users WHERE id = :id", id=p.user_id): role
        for p, role in ((host, "host"), (guest, "guest"))
    }
    wanted = {
        row.id: audience
        for row in rows
        for event, audience in expected[row.reservation_id]
        if event == row.event
    }
    total = sum(len(audience) for audience in wanted.values())
    messages = await smtp_sink.wait_for(lambda got: len(got) >= total, within=60)

    async def all_delivered() -> bool:
        return await scalar(db, "SELECT bool_and(delivered_at IS NOT NULL) FROM outbox") is True

    await eventually(all_delivered, within=30)
    received = Counter(
        (int(OUTBOX_ID.match(m["Message-ID"])[1]), emails[m["To"].addresses[0].addr_spec])
        for m in smtp_sink.messages
    )
    assert all(count == 1 for count in received.values()), received
    got = defaultdict(set)
    for outbox_id, role in received:
        got[outbox_id].add(role)
    assert dict(got) == wanted
    assert len(messages) == total

    subjects = {
        (row.event, emails[m["To"].addresses[0].addr_spec]): m["Subject"]
        for row in rows
        for m in smtp_sink.messages
        if int(OUTBOX_ID.match(m["Message-ID"])[1]) == row.id
    }
    assert subjects[("reservation.checked_in", "guest")].startswith("Checked in")
    assert subjects[("reservation.no_show", "guest")].startswith("Marked as a no-show")


SET_TERMS = """mutation($id: ID!, $input: ListingTermsInput!) {
  updateListingTerms(listingId: $id, input: $input) {
    listing { notifyHostOnCheckIn notifyHostOnNoShow } errors { code field } } }"""
UPDATE = """mutation($id: ID!, $terms: ListingTermsInput!) {
  updateListing(id: $id, input: { terms: $terms }) {
    listing { notifyHostOnCheckIn notifyHostOnNoShow } errors { code field } } }"""
READ = """query($id: ID!) { listing(id: $id) { notifyHostOnCheckIn notifyHostOnNoShow } }"""


async def test_the_host_chooses_their_copies_of_check_in_and_no_show_emails(
    db, client, host, guest, host_token, guest_token, running, smtp_sink
):
    provider = BuiltinProvider()
    began = local_now(AUCKLAND) - timedelta(hours=3)
    today = began.date()
    here = {"start": today, "end": today + timedelta(days=2)}
    always = await stay_listing(db, host, AUCKLAND, units=10, check_in=began.time())
    never = await stay_listing(db, host, AUCKLAND, units=10, check_in=began.time())
    tracked = await stay_listing(db, host, AUCKLAND, units=10, check_in=began.time())
    ids = {
        name: global_id("Listing", listing_id)
        for name, listing_id in (("always", always), ("never", never), ("tracked", tracked))
    }

    # The default is today's: a copy when the scheduler acts.
    read = await client(READ, {"id": ids["always"]})
    assert read.data["listing"] == {
        "notifyHostOnCheckIn": "WHEN_AUTOMATIC",
        "notifyHostOnNoShow": "WHEN_AUTOMATIC",
    }
    # Set with the other terms, or with the terms of updateListing; the host's only.
    both = {"notifyHostOnCheckIn": "ALWAYS", "notifyHostOnNoShow": "ALWAYS"}
    answer = await client(SET_TERMS, {"id": ids["always"], "input": both}, token=host_token)
    assert answer.data["updateListingTerms"] == {"listing": both, "errors": []}
    nobody = {"notifyHostOnCheckIn": "NEVER", "notifyHostOnNoShow": "NEVER"}
    answer = await client(UPDATE, {"id": ids["never"], "terms": nobody}, token=host_token)
    assert answer.data["updateListing"] == {"listing": nobody, "errors": []}
    only = {"notifyHostOnNoShow": "NEVER"}
    answer = await client(SET_TERMS, {"id": ids["tracked"], "input": only}, token=host_token)
    assert answer.data["updateListingTerms"]["listing"]["notifyHostOnNoShow"] == "NEVER"
    theirs = await client(SET_TERMS, {"id": ids["never"], "input": both}, token=guest_token)
    assert theirs.data["updateListingTerms"]["errors"] == [
        {"code": "FORBIDDEN", "field": ["listingId"]}
    ]
    wrong = await client(
        SET_TERMS,
        {"id": ids["never"], "input": {"notifyHostOnNoShow": "SOMETIMES"}},
        token=host_token,
    )
    assert wrong.errors
    assert (await client(READ, {"id": ids["never"]})).data["listing"] == nobody
    await sql(db, "UPDATE listings SET auto_no_show_after_hours = 1 WHERE id = :id", id=tracked)

    async def confirmed(listing_id: uuid.UUID, days: int) -> uuid.UUID:
        reservation = await book(db, guest, listing_id, in_days(days), nights=2, paid=True)
        await move(db, reservation.id, "CONFIRMED", **here)
        return reservation.id

    stays = {
        (name, step): await confirmed(listing_id, days)
        for days, (name, listing_id) in enumerate((("always", always), ("never", never)), 30)
        for step in ("host checks in", "host marks a no-show", "clock checks in")
    }
    stays["tracked", "clock marks a no-show"] = await confirmed(tracked, 40)
    for name in ("always", "never"):
        await booking.check_in(db, principal=host, reservation_id=stays[name, "host checks in"])
        await outcomes.mark_no_show(
            db,
            principal=host,
            reservation_id=stays[name, "host marks a no-show"],
            provider=provider,
        )
    async with db.transaction() as session:
        assert set(await clock.start_due_stays(session=session)) == {
            stays["always", "clock checks in"],
            stays["never", "clock checks in"],
        }
    assert await outcomes.mark_due_no_shows(db, provider) == [
        stays["tracked", "clock marks a no-show"]
    ]

    both_roles, guest_only = {"guest", "host"}, {"guest"}
    wanted = {
        ("always", "host checks in"): ("reservation.checked_in", both_roles),
        ("always", "host marks a no-show"): ("reservation.no_show", both_roles),
        ("always", "clock checks in"): ("reservation.checked_in", both_roles),
        ("never", "host checks in"): ("reservation.checked_in", guest_only),
        ("never", "host marks a no-show"): ("reservation.no_show", guest_only),
        ("never", "clock checks in"): ("reservation.checked_in", guest_only),
        ("tracked", "clock marks a no-show"): ("reservation.no_show", guest_only),
    }
    # Each booking's created and confirmed emails (both), then its one status email.
    total = sum(4 + len(roles) for _, roles in wanted.values())
    await smtp_sink.wait_for(lambda got: len(got) >= total, within=60)

    async def all_delivered() -> bool:
        return await scalar(db, "SELECT bool_and(delivered_at IS NOT NULL) FROM outbox") is True

    await eventually(all_delivered, within=30)
    roles = {
        await scalar(db, "SELECT email FROM users WHERE id = :id", id=p.user_id): role
        for p, role in ((host, "host"), (guest, "guest"))
    }
    rows = await sql(
        db,
        "SELECT id, reservation_id, event FROM outbox"
        " WHERE event IN ('reservation.checked_in', 'reservation.no_show')",
    )
    status_event = {row.id: (row.reservation_id, row.event) for row in rows}
    received: Counter[tuple[uuid.UUID, str, str]] = Counter()
    bodies = {}
    for message in smtp_sink.messages:
        outbox_id = int(OUTBOX_ID.match(message["Message-ID"])[1])
        if outbox_id in status_event:
            role = roles[message["To"].addresses[0].addr_spec]
            received[(*status_event[outbox_id], role)] += 1
            bodies[status_event[outbox_id][0], role] = message.get_body(("plain",)).get_content()
    assert len(smtp_sink.messages) == total
    assert received == Counter(
        (stays[stay], event, role)
        for stay, (event, audience) in wanted.items()
        for role in audience
    )
    # The host's copy says who made the change.
    assert "the guest was checked in" in bodies[stays["always", "host checks in"], "host"]
    clocked = bodies[stays["always", "clock checks in"], "host"]
    assert "checked in at the listing's check-in time" in clocked
    marked = bodies[stays["always", "host marks a no-show"], "host"]
    assert "was marked a no-show" in marked and "Nobody checked" not in marked
