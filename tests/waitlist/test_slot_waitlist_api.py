"""The equipment system's queue through the API: a guest waits for a booked projector's hour
(joinWaitlist with startsAt), its booker cancels (cancelReservation), and the waiter is
offered a hold of it at once, told through the outbox."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text

from bookwell.core.ids import global_id
from bookwell.models import ListingKind
from tests.factories import MANY_HOLDS, make_slot_listing

DAY = date.today() + timedelta(days=12)

BOOK_SLOT = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) { reservation { id status } errors { code field message } }
}"""

JOIN = """
mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) {
    waitlistEntry { id databaseId status position startsAt endsAt partySize quantity startDate }
    errors { code field message }
  }
}"""

CANCEL = """
mutation($id: ID!) {
  cancelReservation(id: $id) { reservation { status } errors { code message } }
}"""

MINE = """
{ myWaitlist(first: 5) { edges { node { status startsAt
    offer { status startsAt endsAt expiresAt units { label } } } } } }"""


def at(hour: int) -> str:
    return datetime.combine(DAY, time(hour), tzinfo=UTC).isoformat()


async def test_the_next_user_is_offered_a_cancelled_projector(
    client, db, host, guest_token, host_token
):
    projector = global_id(
        "Listing",
        await make_slot_listing(
            db, host, kind=ListingKind.EQUIPMENT, timezone="UTC", title="Projector", **MANY_HOLDS
        ),
    )
    booked = await client(
        BOOK_SLOT, {"input": {"listingId": projector, "startsAt": at(10)}}, token=host_token
    )
    reservation = booked.data["bookSlot"]["reservation"]["id"]

    joined = await client(
        JOIN, {"input": {"listingId": projector, "startsAt": at(10)}}, token=guest_token
    )
    free_hour = await client(
        JOIN, {"input": {"listingId": projector, "startsAt": at(11)}}, token=guest_token
    )
    no_window = await client(JOIN, {"input": {"listingId": projector}}, token=guest_token)
    before = await client(MINE, token=guest_token)
    cancelled = await client(CANCEL, {"id": reservation}, token=host_token)
    after = await client(MINE, token=guest_token)

    entry = joined.data["joinWaitlist"]["waitlistEntry"]
    assert joined.data["joinWaitlist"]["errors"] == []
    assert (entry["status"], entry["position"], entry["quantity"]) == ("WAITING", 1, 1)
    assert datetime.fromisoformat(entry["startsAt"]) == datetime.fromisoformat(at(10))
    assert datetime.fromisoformat(entry["endsAt"]) == datetime.fromisoformat(at(11))
    assert (entry["partySize"], entry["startDate"]) == (None, DAY.isoformat())
    assert [e["code"] for e in free_hour.data["joinWaitlist"]["errors"]] == ["INVALID_STATE"]
    assert [(e["code"], e["field"]) for e in no_window.data["joinWaitlist"]["errors"]] == [
        ("INVALID_INPUT", ["input", "startDate"])
    ]
    assert before.data["myWaitlist"]["edges"][0]["node"]["offer"] is None
    assert cancelled.data["cancelReservation"]["reservation"]["status"] == "CANCELLED"
    node = after.data["myWaitlist"]["edges"][0]["node"]
    assert node["status"] == "OFFERED"
    offer = node["offer"]
    assert offer["status"] == "PENDING" and offer["expiresAt"] is not None
    assert datetime.fromisoformat(offer["startsAt"]) == datetime.fromisoformat(at(10))
    assert offer["units"] == [{"label": "Item 1"}]
    async with db.read() as session:
        told = await session.scalar(
            text(
                "SELECT count(*) FROM outbox WHERE event = 'waitlist.offered'"
                " AND waitlist_entry_id = :id"
            ),
            {"id": entry["databaseId"]},
        )
    assert told == 1
