"""Attack: a host books a stay on their own listing and reviews it, rating themselves."""

from bookwell.models import Role
from tests.factories import make_listing, make_stay, make_token, make_user
from tests.support.api_calls import review


async def test_a_host_cannot_review_a_stay_on_their_own_listing(client, db, host, host_token):
    listing_id = await make_listing(db, host, units=2)
    reservation_id = await make_stay(db, host, listing_id)

    answer = await review(client, host_token, reservation_id, 5, "Best place ever")

    assert answer["review"] is None
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("FORBIDDEN", ["input", "reservationId"])
    ]


async def test_a_guest_still_reviews_the_same_listing(client, db, host, guest):
    listing_id = await make_listing(db, host, units=2)
    reservation_id = await make_stay(db, guest, listing_id)
    answer = await review(client, await make_token(db, guest), reservation_id, 4, "Nice")
    assert answer["errors"] == [] and answer["review"]["rating"] == 4


async def test_an_admin_host_cannot_either(client, db):
    admin = await make_user(db, Role.ADMIN)
    listing_id = await make_listing(db, admin)
    reservation_id = await make_stay(db, admin, listing_id)
    answer = await review(client, await make_token(db, admin), reservation_id, 5, "Mine")
    assert [e["code"] for e in answer["errors"]] == ["FORBIDDEN"]
