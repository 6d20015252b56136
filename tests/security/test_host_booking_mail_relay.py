"""A host's phone bookings as a mail relay (attacker review, suspicion 2): bookSlot with
bookedByHost and guestEmail makes the address a customer and emails it every notice of the
booking, written with what the host typed (guest name, listing title). Unbounded, a host
account could mail any address again and again (book, cancel, book: harassment) or mail
many (spam), through Bookwell's own sender.

Expected: a listing owner's bookings naming an address are bounded over a day, per address
and in all (services/slots/host_bookings.py): past the bound GUEST_EMAIL_LIMIT on
guestEmail, nothing booked and nothing queued; a booking without an address still goes."""

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import text

from bookwell.services.slots import host_bookings
from tests.customers.test_phone_bookings import BOOK_SLOT, DAY, restaurant


def _slot(listing_id, hour: int, **more) -> dict:
    starts_at = datetime.combine(DAY, time(hour), tzinfo=UTC).isoformat()
    return {
        "listingId": str(listing_id),
        "startsAt": starts_at,
        "partySize": 2,
        "bookedByHost": True,
        "guestName": "Victim",
    } | more


async def _book(client, token, **fields) -> dict:
    answer = await client(BOOK_SLOT, {"input": fields}, token=token)
    assert answer.status == 200, answer.body
    return answer.data["bookSlot"]


async def _notices_to(db, address: str) -> int:
    async with db.read() as session:
        return await session.scalar(
            text(
                "SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id "
                "JOIN users u ON u.id = r.guest_id WHERE lower(u.email) = lower(:address)"
            ),
            {"address": address},
        )


async def test_booking_and_cancelling_for_one_address_is_bounded(client, db, host, host_token):
    listing_id = await restaurant(db, host)
    for _ in range(host_bookings.PER_ADDRESS):
        booked = await _book(client, host_token, **_slot(listing_id, 19, guestEmail="v@x.test"))
        assert booked["errors"] == [], booked
        async with db.transaction() as session:  # cancelled: the table is free again
            await session.execute(
                text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"),
                {"id": booked["reservation"]["databaseId"]},
            )
    sent = await _notices_to(db, "v@x.test")
    refused = await _book(client, host_token, **_slot(listing_id, 19, guestEmail="V@X.test"))
    assert refused["reservation"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("GUEST_EMAIL_LIMIT", ["input", "guestEmail"])
    ]
    assert await _notices_to(db, "v@x.test") == sent
    # Another address, and a walk-in by name, are still booked.
    other = await _book(client, host_token, **_slot(listing_id, 20, guestEmail="w@x.test"))
    assert other["errors"] == [], other
    walk_in = await _book(client, host_token, **_slot(listing_id, 21))
    assert walk_in["errors"] == [], walk_in


async def test_a_host_names_a_bounded_number_of_addresses_a_day(
    client, db, host, host_token, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(host_bookings, "PER_HOST", 3)
    listing_id = await restaurant(db, host)
    for hour in range(3):
        booked = await _book(
            client, host_token, **_slot(listing_id, 10 + hour, guestEmail=f"s{hour}@x.test")
        )
        assert booked["errors"] == [], booked
    refused = await _book(client, host_token, **_slot(listing_id, 14, guestEmail="s9@x.test"))
    assert [e["code"] for e in refused["errors"]] == ["GUEST_EMAIL_LIMIT"]
    assert await _notices_to(db, "s9@x.test") == 0
