"""Where calendars come from and what their changes set off: calendars side by side (pasted
ones by their `source` name), and the waitlist when a block goes. Calendars fetched from a
URL (a real local HTTP server, its time limits, the addresses it connects to) are in
tests/security/test_calendar_ssrf.py."""

import asyncio
from datetime import date

from tests.calendar.calendars import (
    AIRBNB_BLOCKED,
    AIRBNB_RESERVED,
    blocks,
    ics,
    paris_listing,
    run_import,
    shifted,
    without_event,
)
from tests.factories import make_token, make_user, try_book_over_graphql
from tests.support.database import inventory_faults

JOIN = """
mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) { waitlistEntry { id status } errors { code message } }
}"""


async def test_concurrent_imports_of_one_calendar_create_each_block_once(
    client, db, host, host_token
):
    listing_id = await paris_listing(db, host)

    answers = await asyncio.gather(
        *(run_import(client, host_token, listing_id, ics_text=ics("airbnb")) for _ in range(4))
    )

    assert [a["errors"] for a in answers] == [[]] * 4
    assert sorted((a["created"], a["unchanged"]) for a in answers) == [(0, 3)] * 3 + [(3, 0)]
    assert len(await blocks(db, listing_id)) == 3
    assert await inventory_faults(db) == []


async def test_an_import_racing_bookings_for_the_last_unit(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    tokens = [await make_token(db, await make_user(db)) for _ in range(3)]

    imported, *booked = await asyncio.gather(
        run_import(client, host_token, listing_id, ics_text=ics("airbnb")),
        *(try_book_over_graphql(client, token, listing_id, "2030-03-08", 1) for token in tokens),
    )

    winners = [b for b in booked if b["errors"] == []]
    if imported["errors"]:
        assert [e["code"] for e in imported["errors"]] == ["UNAVAILABLE"]
        assert len(winners) == 1 and await blocks(db, listing_id) == {}
    else:
        assert imported["created"] == 3 and winners == []
    assert await inventory_faults(db) == []


MINE = "{ myWaitlist(first: 5) { edges { node { status offer { startDate status } } } } }"


async def test_a_removed_block_offers_its_nights_to_the_waitlist(
    client, db, host, host_token, guest_token
):
    listing_id = await paris_listing(db, host)
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"), source="Airbnb")
    wait = {"listingId": str(listing_id), "startDate": "2030-03-14", "nights": 2}
    joined = await client(JOIN, {"input": wait}, token=guest_token)
    assert joined.data["joinWaitlist"]["errors"] == []

    emptied = without_event(
        ics("airbnb"), "1418fb94e984-3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f@airbnb.com"
    )
    answer = await run_import(client, host_token, listing_id, ics_text=emptied, source="Airbnb")
    assert answer["removed"] == 1

    mine = (await client(MINE, token=guest_token)).data["myWaitlist"]["edges"]
    assert [edge["node"]["status"] for edge in mine] == ["OFFERED"]
    assert mine[0]["node"]["offer"] == {"startDate": "2030-03-14", "status": "PENDING"}


async def test_two_calendars_never_remove_each_others_blocks(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"), source="Airbnb")
    await run_import(client, host_token, listing_id, ics_text=ics("google"), source="Google")
    emptied = ics("google")
    for uid in ("5k2m8v0q1r3t6y9u4i7o2p5a8s", "8h3j5k7l9z1x2c4v6b8n0m", "2q4w6e8r0t1y3u5i7o9p"):
        emptied = without_event(emptied, f"{uid}@google.com")

    answer = await run_import(client, host_token, listing_id, ics_text=emptied, source="Google")

    assert (answer["removed"], answer["unchanged"]) == (3, 0)
    statuses = {uid: v[2] for uid, v in (await blocks(db, listing_id)).items()}
    assert sorted(statuses.values()) == ["CANCELLED"] * 3 + ["CONFIRMED"] * 3
    assert statuses[AIRBNB_RESERVED] == "CONFIRMED"


def other_unit(calendar: str) -> str:
    """The same site's export for another unit: other UIDs, the same PRODID and no name."""
    return calendar.replace("UID:1418fb94e984-", "UID:2529ac05f095-")


async def test_pasted_calendars_of_one_site_keep_each_others_blocks(client, db, host, host_token):
    listing_id = await paris_listing(db, host, units=2)
    unit_1, unit_2 = ics("airbnb"), other_unit(ics("airbnb"))

    first = await run_import(client, host_token, listing_id, ics_text=unit_1, source="Airbnb 1")
    second = await run_import(client, host_token, listing_id, ics_text=unit_2, source="Airbnb 2")

    assert (first["created"], second["created"], second["removed"]) == (3, 3, 0)
    found = await blocks(db, listing_id)
    assert sorted(v[2] for v in found.values()) == ["CONFIRMED"] * 6
    assert {v[7] for v in found.values()} == {"text:Airbnb 1", "text:Airbnb 2"}
    # Each named calendar syncs fully, and only its own blocks.
    emptied = without_event(unit_2, "2529ac05f095-3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f@airbnb.com")
    again = await run_import(client, host_token, listing_id, ics_text=emptied, source="Airbnb 2")
    assert (again["removed"], again["unchanged"]) == (1, 2)
    statuses = {uid: v[2] for uid, v in (await blocks(db, listing_id)).items()}
    assert sorted(statuses.values()) == ["CANCELLED"] + ["CONFIRMED"] * 5
    assert statuses[AIRBNB_BLOCKED] == "CONFIRMED"
    assert await inventory_faults(db) == []


async def test_pasted_text_without_a_source_removes_nothing(client, db, host, host_token):
    listing_id = await paris_listing(db, host, units=2)
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"))
    moved = shifted(ics("airbnb"), "DTEND;VALUE=DATE:20300310", "DTEND;VALUE=DATE:20300311")

    other = await run_import(client, host_token, listing_id, ics_text=other_unit(ics("airbnb")))
    fewer = await run_import(
        client, host_token, listing_id, ics_text=without_event(moved, AIRBNB_BLOCKED)
    )

    assert (other["created"], other["removed"]) == (3, 0)
    assert (fewer["updated"], fewer["removed"], fewer["unchanged"]) == (1, 0, 1)
    found = await blocks(db, listing_id)
    assert sorted(v[2] for v in found.values()) == ["CONFIRMED"] * 6
    assert found[AIRBNB_RESERVED][1] == date(2030, 3, 11)
    assert found[AIRBNB_RESERVED][7] == "text:-//Airbnb Inc//Hosting Calendar 0.8.8//EN"


async def test_a_source_names_pasted_text_only(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    with_url = await run_import(client, host_token, listing_id, url="http://x/", source="A")
    blank = await run_import(client, host_token, listing_id, ics_text=ics("airbnb"), source=" ")
    long = await run_import(
        client, host_token, listing_id, ics_text=ics("airbnb"), source="a" * 201
    )
    for answer in (with_url, blank, long):
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [
            ("INVALID_INPUT", ["input", "source"])
        ]
    assert await blocks(db, listing_id) == {}
