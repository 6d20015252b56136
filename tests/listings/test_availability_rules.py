"""Listing.availability under the host's booking rules (issue 19): `bookable` and the rules
the stay breaks, and each night's free units and restrictions (closed to arrival or
departure, minimum and maximum nights), batched for a page of listings and priced by the
window's nights. The existing fields answer as before."""

from datetime import timedelta

from bookwell.services.listings import booking_rules_store as store
from bookwell.services.listings.booking_rules import Rules
from tests.factories import book, in_days, make_listing
from tests.support.sql_statements import StatementCounter

OLD = "listingId startDate endDate quantity available freeUnits"
NEW = (
    "bookable violations { code field message } "
    "nights { date freeUnits closedToArrival closedToDeparture minNights maxNights }"
)
AVAILABILITY = """query($id: ID!, $start: Date!, $end: Date!, $quantity: Int! = 1) {
  listing(id: $id) { availability(startDate: $start, endDate: $end, quantity: $quantity) {
    %s } } }"""
ROOT = """query($id: ID!, $start: Date!, $end: Date!) {
  availability(listingId: $id, startDate: $start, endDate: $end) { %s } }"""


async def set_rules(db, host, listing_id, **rules) -> None:
    async with db.transaction() as session:
        await store.set_rules(
            session=session, principal=host, listing_id=listing_id, rules=Rules(**rules)
        )


def on_weekday(weekday: int, ahead: int = 20):
    day = in_days(ahead)
    return day + timedelta(days=(weekday - day.isoweekday()) % 7)


async def ask(client, listing_id, start, end, fields=f"{OLD} {NEW}", **more):
    variables = {"id": str(listing_id), "start": str(start), "end": str(end)} | more
    return (await client(AVAILABILITY % fields, variables)).data["listing"]["availability"]


async def test_availability_says_whether_the_rules_allow_the_stay(client, db, host):
    listing_id = await make_listing(db, host, timezone="UTC", units=2)
    start = in_days(20)
    before = await ask(client, listing_id, start, start + timedelta(days=2), OLD)
    await set_rules(db, host, listing_id, min_nights=3)
    found = await ask(client, listing_id, start, start + timedelta(days=2))
    assert {key: found[key] for key in before} == before  # the old fields as they were
    assert (found["available"], found["bookable"]) == (True, False)
    [violation] = found["violations"]
    assert (violation["code"], violation["field"]) == ("RULE_VIOLATED", ["minNights"])
    assert "3 night" in violation["message"]
    three = await ask(client, listing_id, start, start + timedelta(days=3))
    assert (three["available"], three["bookable"], three["violations"]) == (True, True, [])
    full = await ask(client, listing_id, start, start + timedelta(days=3), quantity=3)
    assert (full["available"], full["bookable"], full["violations"]) == (False, False, [])


async def test_each_night_shows_its_free_units_and_restrictions(client, db, host, guest):
    listing_id = await make_listing(db, host, timezone="UTC", units=2)
    saturday = on_weekday(6)
    await book(db, guest, listing_id, saturday + timedelta(days=1), saturday + timedelta(days=3))
    await set_rules(db, host, listing_id, arrival_weekdays={6}, departure_weekdays={6, 7})
    async with db.transaction() as session:
        peak = store.NewSeason(
            "Peak", saturday + timedelta(days=7), saturday + timedelta(days=9), Rules(min_nights=7)
        )
        await store.add_season(session=session, principal=host, listing_id=listing_id, season=peak)
    found = await ask(client, listing_id, saturday, saturday + timedelta(days=9))
    nights = found["nights"]
    assert [n["date"] for n in nights] == [str(saturday + timedelta(days=n)) for n in range(9)]
    assert [n["freeUnits"] for n in nights] == [2, 1, 1, 2, 2, 2, 2, 2, 2]
    assert found["freeUnits"] == 1
    # Saturdays open to arrival; Saturdays and Sundays to departure.
    assert [n["closedToArrival"] for n in nights] == [False] + [True] * 6 + [False, True]
    assert [n["closedToDeparture"] for n in nights] == [False, False] + [True] * 5 + [False] * 2
    assert [n["minNights"] for n in nights] == [None] * 7 + [7, 7]  # the season's arrivals
    assert {n["maxNights"] for n in nights} == {None}


async def test_notice_window_and_the_past_close_days_to_arrival(client, db, host):
    listing_id = await make_listing(db, host, timezone="UTC")
    await set_rules(db, host, listing_id, min_notice_hours=48, booking_window_days=5)
    found = await ask(client, listing_id, in_days(-1), in_days(8), "nights { closedToArrival }")
    # Yesterday is past; today and tomorrow inside 48 hours of notice (to check-in, 15:00;
    # the day after tomorrow depends on the clock); beyond the 5 days' window, closed.
    closed = [n["closedToArrival"] for n in found["nights"]]
    assert closed[:3] == [True, True, True]
    assert closed[4:7] == [False, False, False]  # in 3 to 5 days
    assert closed[7:] == [True, True]  # in 6 and 7 days


async def test_the_root_field_answers_the_same_through_every_path(client, db, host):
    listing_id = await make_listing(db, host, timezone="UTC")
    await set_rules(db, host, listing_id, max_nights=2)
    variables = {"id": str(listing_id), "start": str(in_days(20)), "end": str(in_days(23))}
    old = (await client(ROOT % OLD, variables)).data["availability"]
    new = (await client(ROOT % f"{OLD} {NEW}", variables)).data["availability"]
    assert {key: new[key] for key in old} == old
    assert [v["field"] for v in new["violations"]] == [["maxNights"]]
    assert len(new["nights"]) == 3 and new["bookable"] is False


async def test_a_page_of_listings_reads_its_nights_in_constant_statements(client, app, db, host):
    for _ in range(6):
        await make_listing(db, host, timezone="UTC")
    page = """query($n: Int!, $start: Date!, $end: Date!) { listings(first: $n) { edges { node {
      availability(startDate: $start, endDate: $end) { bookable nights { freeUnits } } } } } }"""
    counts = []
    for first in (2, 6):
        variables = {"n": first, "start": str(in_days(20)), "end": str(in_days(27))}
        with StatementCounter(app) as counter:
            answer = await client(page, variables)
        edges = answer.data["listings"]["edges"]
        assert [len(e["node"]["availability"]["nights"]) for e in edges] == [7] * first
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_the_nights_are_priced_by_the_window(client, db, host):
    await make_listing(db, host, timezone="UTC")
    page = """query($start: Date!, $end: Date!) { listings(first: 100) { edges { node {
      availability(startDate: $start, endDate: $end) { nights { date } } } } } }"""
    week = await client(page, {"start": str(in_days(20)), "end": str(in_days(27))})
    assert week.errors == []
    year = await client(page, {"start": str(in_days(20)), "end": str(in_days(385))})
    assert year.codes == ["QUERY_TOO_COSTLY"]
    without = page.replace("nights { date }", "freeUnits")
    year_of_counts = {"start": str(in_days(20)), "end": str(in_days(385))}
    assert (await client(without, year_of_counts)).errors == []
