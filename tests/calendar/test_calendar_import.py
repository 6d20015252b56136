"""importCalendar through the API: blocks from real .ics files take units like bookings,
re-imports are idempotent per UID, and a block that does not fit changes nothing."""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import text

from bookwell.core.ids import global_id
from bookwell.flows.calendar import import_calendar
from bookwell.models import Role
from bookwell.services.calendar.imports import CalendarInput
from tests.calendar.calendars import (
    AIRBNB_BLOCKED,
    AIRBNB_RESERVED,
    IMPORT,
    blocks,
    ics,
    paris_listing,
    run_import,
    shifted,
    without_event,
)
from tests.factories import make_listing, make_token, make_user, try_book_over_graphql
from tests.support.database import inventory_faults

AIRBNB_LATE = "1418fb94e984-7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d@airbnb.com"  # 03-28..04-02


AVAILABILITY = """
query($id: ID!, $start: Date!, $end: Date!) {
  availability(listingId: $id, startDate: $start, endDate: $end) { freeUnits available }
}"""


async def free_units(client, listing_id, start: str, end: str) -> int:
    variables = {"id": str(listing_id), "start": start, "end": end}
    return (await client(AVAILABILITY, variables)).data["availability"]["freeUnits"]


async def test_an_airbnb_export_blocks_its_nights_like_bookings(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    guest = await make_user(db, Role.GUEST)
    guest_token = await make_token(db, guest)

    answer = await run_import(client, host_token, listing_id, ics_text=ics("airbnb"))

    assert answer["errors"] == []
    assert answer["listing"] == {"id": global_id("Listing", listing_id)}
    assert (answer["created"], answer["updated"], answer["removed"]) == (3, 0, 0)
    found = await blocks(db, listing_id)
    source = "text:-//Airbnb Inc//Hosting Calendar 0.8.8//EN"
    assert found[AIRBNB_RESERVED] == (
        date(2030, 3, 5),
        date(2030, 3, 10),
        "CONFIRMED",
        1,
        "Blocked: Reserved",
        None,
        0,
        source,
    )
    assert found[AIRBNB_BLOCKED][:2] == (date(2030, 3, 14), date(2030, 3, 16))
    assert found[AIRBNB_BLOCKED][4] == "Blocked: Airbnb (Not available)"
    assert len(found) == 3  # the 2020 stay is in the past
    assert await free_units(client, listing_id, "2030-03-05", "2030-03-10") == 0
    assert await free_units(client, listing_id, "2030-03-10", "2030-03-14") == 1
    refused = await try_book_over_graphql(client, guest_token, listing_id, "2030-03-08", 3)
    assert [e["code"] for e in refused["errors"]] == ["UNAVAILABLE"]
    assert (await try_book_over_graphql(client, guest_token, listing_id, "2030-03-10", 4))[
        "errors"
    ] == []
    assert await inventory_faults(db) == []
    async with db.read() as session:
        # Nobody is emailed about a block: only the guest's booking is in the outbox.
        assert (await session.execute(text("SELECT count(*) FROM outbox"))).scalar_one() == 1


async def test_importing_again_changes_nothing(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"))
    before = await blocks(db, listing_id)

    again = await run_import(client, host_token, listing_id, ics_text=ics("airbnb"))

    assert (again["created"], again["updated"], again["removed"], again["unchanged"]) == (
        0,
        0,
        0,
        3,
    )
    assert await blocks(db, listing_id) == before
    assert await inventory_faults(db) == []


async def test_a_changed_event_moves_its_block_and_a_removed_one_frees_it(
    client, db, host, host_token, guest_token
):
    listing_id = await paris_listing(db, host)
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"), source="Airbnb")
    changed = shifted(ics("airbnb"), "DTEND;VALUE=DATE:20300310", "DTEND;VALUE=DATE:20300312")
    changed = shifted(changed, "DTSTART;VALUE=DATE:20300305", "DTSTART;VALUE=DATE:20300307")
    changed = without_event(changed, AIRBNB_BLOCKED)

    answer = await run_import(client, host_token, listing_id, ics_text=changed, source="Airbnb")

    assert (answer["created"], answer["updated"], answer["removed"], answer["unchanged"]) == (
        0,
        1,
        1,
        1,
    )
    found = await blocks(db, listing_id)
    assert found[AIRBNB_RESERVED][:3] == (date(2030, 3, 7), date(2030, 3, 12), "CONFIRMED")
    assert found[AIRBNB_BLOCKED][2] == "CANCELLED"
    assert await free_units(client, listing_id, "2030-03-05", "2030-03-07") == 1
    assert await free_units(client, listing_id, "2030-03-10", "2030-03-12") == 0
    assert await free_units(client, listing_id, "2030-03-14", "2030-03-16") == 1
    assert await inventory_faults(db) == []

    # The event comes back: the same block blocks again.
    back = await run_import(client, host_token, listing_id, ics_text=ics("airbnb"), source="Airbnb")
    assert (back["created"], back["updated"], back["removed"], back["unchanged"]) == (0, 2, 0, 1)
    assert (await blocks(db, listing_id))[AIRBNB_BLOCKED][2] == "CONFIRMED"
    assert await free_units(client, listing_id, "2030-03-14", "2030-03-16") == 0
    assert await inventory_faults(db) == []


async def test_a_block_that_does_not_fit_changes_nothing(client, db, host, host_token, guest_token):
    listing_id = await paris_listing(db, host)
    await run_import(
        client, host_token, listing_id, ics_text=without_event(ics("airbnb"), AIRBNB_LATE)
    )
    before = await blocks(db, listing_id)
    assert (await try_book_over_graphql(client, guest_token, listing_id, "2030-03-30", 2))[
        "errors"
    ] == []
    moved = shifted(ics("airbnb"), "DTSTART;VALUE=DATE:20300305", "DTSTART;VALUE=DATE:20300303")

    answer = await run_import(client, host_token, listing_id, ics_text=moved)

    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("UNAVAILABLE", ["input", "icsText"])
    ]
    assert AIRBNB_LATE in answer["errors"][0]["message"]
    assert "2030-03-28 to 2030-04-02" in answer["errors"][0]["message"]
    assert (answer["listing"], answer["created"], answer["updated"]) == (None, 0, 0)
    assert await blocks(db, listing_id) == before  # the move was rolled back too
    assert await free_units(client, listing_id, "2030-03-03", "2030-03-05") == 1
    assert await inventory_faults(db) == []


async def test_blocks_that_swap_nights_fit_on_one_unit(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"))
    swapped = ics("airbnb").replace("20300305", "@@").replace("20300314", "20300305")
    swapped = swapped.replace("@@", "20300311").replace("20300316", "20300307")
    swapped = swapped.replace("20300310", "20300316")

    answer = await run_import(client, host_token, listing_id, ics_text=swapped)

    assert answer["errors"] == [] and answer["updated"] == 2
    found = await blocks(db, listing_id)
    assert found[AIRBNB_BLOCKED][:2] == (date(2030, 3, 5), date(2030, 3, 7))
    assert found[AIRBNB_RESERVED][:2] == (date(2030, 3, 11), date(2030, 3, 16))
    assert await inventory_faults(db) == []


async def test_quantity_blocks_that_many_units(client, db, host, host_token):
    listing_id = await paris_listing(db, host, units=3)
    answer = await run_import(client, host_token, listing_id, ics_text=ics("airbnb"), quantity=2)
    assert answer["created"] == 3
    assert await free_units(client, listing_id, "2030-03-05", "2030-03-10") == 1

    too_many = await run_import(client, host_token, listing_id, ics_text=ics("airbnb"), quantity=4)
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [
        ("INVALID_INPUT", ["input", "quantity"])
    ]


async def test_timed_events_block_the_nights_they_cover_where_the_listing_is(
    client, db, host, host_token
):
    paris = await paris_listing(db, host)
    new_york = await make_listing(db, host, timezone="America/New_York")

    for listing_id in (paris, new_york):
        answer = await run_import(client, host_token, listing_id, ics_text=ics("google"))
        assert (answer["errors"], answer["created"]) == ([], 3)

    owner_stay, maintenance = (
        "5k2m8v0q1r3t6y9u4i7o2p5a8s@google.com",
        "8h3j5k7l9z1x2c4v6b8n0m@google.com",
    )
    in_paris, in_new_york = await blocks(db, paris), await blocks(db, new_york)
    # 20:00 on the 12th in New York is 02:00 on the 13th in Paris; 09:00 on the 14th, 15:00.
    assert in_paris[owner_stay][:2] == (date(2030, 4, 13), date(2030, 4, 14))
    assert in_new_york[owner_stay][:2] == (date(2030, 4, 12), date(2030, 4, 14))
    # 23:00Z on May 1st is 01:00 on the 2nd in Paris (CEST), 19:00 on the 1st in New York.
    assert in_paris[maintenance][:2] == (date(2030, 5, 2), date(2030, 5, 3))
    assert in_new_york[maintenance][:2] == (date(2030, 5, 1), date(2030, 5, 3))
    # All-day events are dates wherever the listing is; the cancelled event blocks nothing.
    family = "2q4w6e8r0t1y3u5i7o9p@google.com"
    assert in_paris[family][:2] == in_new_york[family][:2] == (date(2030, 5, 20), date(2030, 5, 23))
    assert in_paris[family][7] == "text:Chalet bookings"
    assert "0o9i8u7y6t5r4e3w2q1@google.com" not in in_paris


async def test_recurring_events_are_expanded_within_the_horizon(db, host):
    listing_id = await paris_listing(db, host)
    now = datetime(2029, 12, 1, 12, tzinfo=UTC)  # the horizon then ends on 2031-12-01
    data = CalendarInput(listing_id, ics_text=ics("recurring"))

    result = await import_calendar(db, principal=host, data=data, now=now)
    again = await import_calendar(db, principal=host, data=data, now=now)

    found = await blocks(db, listing_id)
    weekends = sorted(v[0] for k, v in found.items() if k.startswith("weekend-closure"))
    # Eight weekly weekends, without the excluded 19th, the 26th moved to the 27th.
    assert [d.isoformat() for d in weekends] == [
        "2030-01-05", "2030-01-12", "2030-01-27", "2030-02-02", "2030-02-09", "2030-02-16",
        "2030-02-23",
    ]  # fmt: skip
    assert found["weekend-closure-2030@example.org#2030-01-26"][:2] == (
        date(2030, 1, 27),
        date(2030, 1, 29),
    )
    monthly = sorted(v[:2] for k, v in found.items() if k.startswith("monthly-inspection"))
    assert len(monthly) == 21  # March 2030 to November 2031
    assert all(start.day == 1 and (end - start).days == 1 for start, end in monthly)
    assert "monthly-inspection@example.org#2030-07-01T08:00:00Z" in found  # 10:00 CEST
    assert (result.created, again.created, again.unchanged) == (28, 0, 28)


async def test_a_calendar_that_cannot_be_read_is_refused_whole(client, db, host, host_token):
    listing_id = await paris_listing(db, host)

    broken = await run_import(client, host_token, listing_id, ics_text=ics("malformed"))
    garbage = await run_import(client, host_token, listing_id, ics_text="<html>Sign in</html>")
    unknown_zone = ics("google").replace("TZID=America/New_York:", "TZID=Mars/Olympus:")
    unknown = await run_import(client, host_token, listing_id, ics_text=unknown_zone)

    for answer in (broken, garbage, unknown):
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [
            ("INVALID_INPUT", ["input", "icsText"])
        ]
    assert "broken-event@example.com" in broken["errors"][0]["message"]
    assert "Not an iCalendar file" in garbage["errors"][0]["message"]
    assert "Mars/Olympus" in unknown["errors"][0]["message"]
    assert await blocks(db, listing_id) == {}


async def test_exactly_one_of_url_and_text(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    both = await run_import(client, host_token, listing_id, ics_text=ics("airbnb"), url="http://x/")
    neither = await run_import(client, host_token, listing_id)
    ftp = await run_import(client, host_token, listing_id, url="ftp://example.com/cal.ics")
    for answer in (both, neither, ftp):
        assert [e["code"] for e in answer["errors"]] == ["INVALID_INPUT"]
    assert ftp["errors"][0]["field"] == ["input", "url"]


async def test_only_the_host_or_an_admin_imports(client, db, host, host_token, guest_token):
    listing_id = await paris_listing(db, host)
    other_host = await make_token(db, await make_user(db, Role.HOST))
    admin = await make_token(db, await make_user(db, Role.ADMIN))

    for token in (other_host, guest_token):
        answer = await run_import(client, token, listing_id, ics_text=ics("airbnb"))
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [
            ("FORBIDDEN", ["input", "listingId"])
        ]
    missing = await run_import(client, host_token, uuid.uuid4(), ics_text=ics("airbnb"))
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    anonymous = await client(IMPORT, {"input": {"listingId": str(listing_id), "icsText": "x"}})
    assert (anonymous.status, anonymous.codes) == (401, ["UNAUTHENTICATED"])
    assert await blocks(db, listing_id) == {}
    assert (await run_import(client, admin, listing_id, ics_text=ics("airbnb")))["created"] == 3


def one_event(uid: str, start: str, end: str) -> str:
    """A calendar of one all-day event (none if `uid` is empty)."""
    lines = [f"UID:{uid}", f"DTSTART;VALUE=DATE:{start}", f"DTEND;VALUE=DATE:{end}"]
    event = "".join(f"{line}\r\n" for line in ["BEGIN:VEVENT", *lines, "END:VEVENT"])
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
    return head + (event if uid else "") + "END:VCALENDAR\r\n"


async def test_a_block_under_way_keeps_its_past_nights(client, db, host):
    listing_id = await paris_listing(db, host)

    async def run(calendar: str, today: str):
        now = datetime.fromisoformat(f"{today}T12:00:00+00:00")
        data = CalendarInput(listing_id, ics_text=calendar, source="Owner")
        return await import_calendar(db, principal=host, data=data, now=now)

    async def block() -> tuple:
        return (await blocks(db, listing_id))["stay@x"][:3]

    await run(one_event("stay@x", "20300301", "20300310"), "2030-02-20")
    # Under way, it is lengthened: the nights before today stay blocked.
    longer = await run(one_event("stay@x", "20300301", "20300312"), "2030-03-05")
    assert longer.updated == 1
    assert await block() == (date(2030, 3, 1), date(2030, 3, 12), "CONFIRMED")
    # Gone from the calendar, it ends today rather than being cancelled.
    gone = await run(one_event("", "", ""), "2030-03-06")
    assert gone.removed == 1
    assert await block() == (date(2030, 3, 1), date(2030, 3, 6), "CONFIRMED")
    assert await free_units(client, listing_id, "2030-03-06", "2030-03-12") == 1
    assert (await run(one_event("", "", ""), "2030-03-06")).removed == 0
    # Back in the calendar, it blocks on from its old start.
    back = await run(one_event("stay@x", "20300301", "20300312"), "2030-03-06")
    assert back.updated == 1
    assert await block() == (date(2030, 3, 1), date(2030, 3, 12), "CONFIRMED")
    assert await inventory_faults(db) == []
