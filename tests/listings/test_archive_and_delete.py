"""Archiving takes a listing out of search and new bookings while its bookings carry on;
deleting is for listings never booked, and a booking can never lose its listing."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.core.ids import global_id
from tests.factories import (
    book,
    book_slot,
    in_days,
    make_listing,
    make_slot_listing,
    try_book_over_graphql,
)

ARCHIVE = """mutation($id: ID!) { archiveListing(id: $id) {
  listing { archivedAt } errors { code field } } }"""
UNARCHIVE = """mutation($id: ID!) { unarchiveListing(id: $id) {
  listing { archivedAt } errors { code field } } }"""
DELETE = """mutation($id: ID!) { deleteListing(id: $id) {
  deletedListingId errors { code field message } } }"""
SEARCHES = """query($start: Date!) {
  listings(filter: {city: "Archiveville"}) { totalCount edges { node { title } } }
  searchAvailability(startDate: $start, nights: 1, filter: {city: "Archiveville"}) {
    totalCount edges { node { title } } }
}"""
CANCEL = """mutation($id: ID!) { cancelReservation(id: $id) {
  reservation { status } errors { code } } }"""


async def titles(client, start):
    answer = await client(SEARCHES, {"start": start.isoformat()})
    return [
        sorted(edge["node"]["title"] for edge in answer.data[name]["edges"])
        for name in ("listings", "searchAvailability")
    ]


async def test_an_archived_listing_leaves_search_and_takes_no_new_booking(
    client, db, host, host_token, guest, guest_token
):
    archived = await make_listing(db, host, title="Gone", city="Archiveville", units=2)
    await make_listing(db, host, title="Here", city="Archiveville")
    kept = await book(db, guest, archived, in_days(4), nights=2)
    start = in_days(4)
    assert await titles(client, start) == [["Gone", "Here"], ["Gone", "Here"]]

    answer = await client(ARCHIVE, {"id": str(archived)}, token=host_token)
    assert answer.data["archiveListing"]["listing"]["archivedAt"] is not None
    assert await titles(client, start) == [["Here"], ["Here"]]
    mine = await client(
        '{ listings(filter: {city: "Archiveville", archived: true}) { edges { node { title } } } }'
    )
    assert [e["node"]["title"] for e in mine.data["listings"]["edges"]] == ["Gone"]
    # Still readable by id: its bookings point at it.
    read = await client("query($id: ID!) { listing(id: $id) { title } }", {"id": str(archived)})
    assert read.data["listing"] == {"title": "Gone"}

    refused = await try_book_over_graphql(client, guest_token, archived, in_days(20), nights=1)
    assert refused["errors"][0]["code"] == "LISTING_ARCHIVED"
    quote = await client(
        "query($id: ID!, $s: Date!) { listing(id: $id) { quote(startDate: $s, nights: 1) "
        "{ total { amount } } } }",
        {"id": str(archived), "s": start.isoformat()},
    )
    assert quote.codes == ["LISTING_ARCHIVED"]

    # The booking made before carries on: its guest can still cancel it.
    cancelled = await client(CANCEL, {"id": f"{kept.id}"}, token=guest_token)
    assert cancelled.data["cancelReservation"]["reservation"]["status"] == "CANCELLED"

    back = await client(UNARCHIVE, {"id": str(archived)}, token=host_token)
    assert back.data["unarchiveListing"]["listing"]["archivedAt"] is None
    assert await titles(client, start) == [["Gone", "Here"], ["Gone", "Here"]]
    booked = await try_book_over_graphql(client, guest_token, archived, in_days(20), nights=1)
    assert booked["errors"] == []


async def test_an_archived_slot_listing_takes_no_new_booking(client, db, host, host_token, guest):
    space = await make_slot_listing(db, host)
    await client(ARCHIVE, {"id": str(space)}, token=host_token)
    day = datetime.now(UTC).date() + timedelta(days=3)
    starts_at = datetime.combine(day, time(10), ZoneInfo("Europe/Berlin"))
    with pytest.raises(DomainError) as refused:
        await book_slot(db, guest, space, starts_at)
    assert refused.value.code is ErrorCode.LISTING_ARCHIVED


async def test_nobody_joins_the_waitlist_of_an_archived_listing(
    client, db, host, host_token, guest_token
):
    """It would never be offered anything: refused, as a booking is."""
    listing = await make_listing(db, host, units=1)
    await client(ARCHIVE, {"id": str(listing)}, token=host_token)
    join = """mutation($input: JoinWaitlistInput!) { joinWaitlist(input: $input) {
      waitlistEntry { id } errors { code } } }"""
    start = in_days(10).isoformat()
    variables = {"input": {"listingId": str(listing), "startDate": start, "nights": 1}}
    answer = await client(join, variables, token=guest_token)
    payload = answer.data["joinWaitlist"]
    assert payload == {"waitlistEntry": None, "errors": [{"code": "LISTING_ARCHIVED"}]}


async def test_only_a_listing_never_booked_is_deleted(client, db, host, host_token, guest):
    booked = await make_listing(db, host, title="Booked")
    reservation = await book(db, guest, booked, in_days(4), nights=1)
    await client(CANCEL, {"id": str(reservation.id)}, token=host_token)
    refused = await client(DELETE, {"id": str(booked)}, token=host_token)
    assert [e["code"] for e in refused.data["deleteListing"]["errors"]] == ["HAS_BOOKINGS"]
    # A cancelled booking is a booking still: the listing stays.
    assert (
        await client("query($id: ID!) { listing(id: $id) { title } }", {"id": str(booked)})
    ).data["listing"] == {"title": "Booked"}

    never = await make_listing(db, host, title="Never")
    deleted = await client(DELETE, {"id": str(never)}, token=host_token)
    assert deleted.data["deleteListing"] == {
        "deletedListingId": global_id("Listing", never),
        "errors": [],
    }
    gone = await client("query($id: ID!) { listing(id: $id) { title } }", {"id": str(never)})
    assert gone.data["listing"] is None
    again = await client(DELETE, {"id": str(never)}, token=host_token)
    assert again.data["deleteListing"]["errors"][0]["code"] == "NOT_FOUND"


async def test_someone_elses_listing_is_neither_archived_nor_deleted(client, db, host, guest_token):
    listing_id = await make_listing(db, host)
    for mutation, name in ((ARCHIVE, "archiveListing"), (DELETE, "deleteListing")):
        answer = await client(mutation, {"id": str(listing_id)}, token=guest_token)
        assert [e["code"] for e in answer.data[name]["errors"]] == ["FORBIDDEN"]
