"""An idempotency key's input is the stay it resolves to, not how its end was spelled
(issue 16, item 9): `endDate` and `nights` naming the same nights are the same input, in
either order; a different stay under the key is still IDEMPOTENCY_KEY_REUSED."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from tests.factories import create_reservation_mutation, make_listing
from tests.support.guest_checkout import checkout_listing, try_checkout

BOOK = create_reservation_mutation("id startDate endDate quantity")
START = date.today() + timedelta(days=30)


def stay(listing_id, **fields) -> dict:
    return {"listingId": str(listing_id), "startDate": START.isoformat(), **fields}


async def reservations(db) -> int:
    async with db.read() as session:
        return (await session.execute(text("SELECT count(*) FROM reservations"))).scalar_one()


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ({"nights": 3}, {"endDate": (START + timedelta(days=3)).isoformat()}),
        ({"endDate": (START + timedelta(days=3)).isoformat()}, {"nights": 3}),
        ({"nights": 2, "guestName": "Ada"}, {"nights": 2, "guestName": "  Ada "}),
    ],
    ids=["nights-then-endDate", "endDate-then-nights", "guest-name-spacing"],
)
async def test_the_same_stay_spelled_otherwise_replays(client, db, host, guest_token, first, again):
    listing_id = await make_listing(db, host, units=5)
    key = {"idempotencyKey": "checkout-1"}

    made = await client(BOOK, {"input": stay(listing_id, **first) | key}, token=guest_token)
    replayed = await client(BOOK, {"input": stay(listing_id, **again) | key}, token=guest_token)

    assert made.data["createReservation"]["errors"] == []
    assert replayed.data == made.data
    assert await reservations(db) == 1


@pytest.mark.parametrize(
    "other",
    [
        {"endDate": (START + timedelta(days=4)).isoformat()},  # one night more
        {"nights": 3, "quantity": 2},
        {"nights": 3, "guestName": "Someone else"},
    ],
    ids=["other-end", "other-quantity", "other-guest"],
)
async def test_a_different_stay_under_the_key_is_refused(client, db, host, guest_token, other):
    listing_id = await make_listing(db, host, units=5)
    key = {"idempotencyKey": "checkout-2"}
    await client(BOOK, {"input": stay(listing_id, nights=3) | key}, token=guest_token)

    refused = await client(BOOK, {"input": stay(listing_id, **other) | key}, token=guest_token)

    errors = refused.data["createReservation"]["errors"]
    assert [e["code"] for e in errors] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await reservations(db) == 1


async def test_a_checkout_key_with_another_phone_is_a_different_request(client, db, host):
    """Without an account the phone is the booking's own (reservations.guest_phone): the
    same key with another phone would have answered the first booking, its phone kept,
    as though the second had been made (attacker review, suspicion 5)."""
    listing_id = await checkout_listing(db, host, units=5)
    key = {"idempotencyKey": "checkout-phone-0001", "nights": 3}
    made = await try_checkout(client, listing_id, guestPhone="+33 1 42 68 53 00", **key)
    assert made.data["createReservation"]["errors"] == []
    # The same phone spelled otherwise is the same request: replayed.
    again = await try_checkout(client, listing_id, guestPhone="+33142685300", **key)
    assert again.data == made.data
    for other in ({"guestPhone": "+14155550123"}, {}):
        refused = await try_checkout(client, listing_id, **other, **key)
        errors = refused.data["createReservation"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [
            ("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
        ]
    assert await reservations(db) == 1
