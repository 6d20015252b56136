"""Reviews: only the guest of a completed stay, once; listings show them and their rating."""

import asyncio
import uuid

from bookwell.core.ids import global_id
from bookwell.models import Role
from bookwell.services.reviews.reviews import create_review
from tests.factories import make_listing, make_stay, make_token, make_user
from tests.support.api_calls import review
from tests.support.sql_statements import StatementCounter

LISTING = """
query($id: ID!, $first: Int!, $after: String) {
  listing(id: $id) {
    rating { average count }
    reviews(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { rating comment authorName } }
    }
  }
}"""

RESERVATION_REVIEW = "query($id: ID!) { reservation(id: $id) { review { rating comment } } }"


async def test_the_guest_reviews_a_completed_stay_once(client, db, host, guest, guest_token):
    listing_id = await make_listing(db, host, units=3)
    reservation_id = await make_stay(db, guest, listing_id)

    first = await review(client, guest_token, reservation_id, 4, "  Quiet and clean.  ")
    again = await review(client, guest_token, reservation_id, 1, "Changed my mind")

    assert first["errors"] == []
    assert first["review"]["rating"] == 4
    assert first["review"]["comment"] == "Quiet and clean."
    assert first["review"]["authorName"] == "Gus Guest"
    assert first["review"]["listing"]["id"] == global_id("Listing", listing_id)
    assert again["review"] is None
    assert [(e["code"], e["field"]) for e in again["errors"]] == [
        ("ALREADY_EXISTS", ["input", "reservationId"])
    ]
    shown = await client(RESERVATION_REVIEW, {"id": reservation_id}, token=guest_token)
    assert shown.data["reservation"]["review"] == {"rating": 4, "comment": "Quiet and clean."}


async def test_racing_reviews_of_one_stay_make_one(client, db, host, guest, guest_token):
    listing_id = await make_listing(db, host)
    reservation_id = await make_stay(db, guest, listing_id)

    answers = await asyncio.gather(
        *(review(client, guest_token, reservation_id, rating=1 + n % 5) for n in range(10))
    )

    made = [a for a in answers if a["review"]]
    assert len(made) == 1
    assert (
        sorted(a["errors"][0]["code"] for a in answers if not a["review"]) == ["ALREADY_EXISTS"] * 9
    )


async def test_who_may_not_review(client, db, host, guest, host_token):
    stranger_token = await make_token(db, await make_user(db, Role.GUEST))
    listing_id = await make_listing(db, host)
    reservation_id = await make_stay(db, guest, listing_id)

    by_stranger = await review(client, stranger_token, reservation_id)
    by_host = await review(client, host_token, reservation_id)
    unknown = await review(client, stranger_token, str(uuid.uuid4()))
    not_an_id = await review(client, stranger_token, "nope")

    assert by_stranger["errors"][0]["code"] == "NOT_FOUND"
    assert by_host["errors"][0]["code"] == "FORBIDDEN"
    assert unknown["errors"][0]["code"] == "NOT_FOUND"
    assert not_an_id["errors"][0]["code"] == "NOT_FOUND"
    assert by_stranger["review"] is None and by_host["review"] is None


async def test_only_completed_stays_are_reviewed(client, db, host, guest, guest_token):
    listing_id = await make_listing(db, host, units=10)
    for status in ("CONFIRMED", "PENDING", "ACTIVE", "CANCELLED", "EXPIRED"):
        reservation_id = await make_stay(db, guest, listing_id, status)
        answer = await review(client, guest_token, reservation_id)
        assert [e["code"] for e in answer["errors"]] == ["INVALID_STATE"], status


async def test_bad_input_names_its_field(client, db, host, guest, guest_token):
    listing_id = await make_listing(db, host)
    reservation_id = await make_stay(db, guest, listing_id)

    for rating, comment, field in [
        (0, "ok", "rating"),
        (6, "ok", "rating"),
        (5, "x" * 5001, "comment"),
        (5, "nul\x00", "comment"),
    ]:
        answer = await review(client, guest_token, reservation_id, rating, comment)
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [
            ("INVALID_INPUT", ["input", field])
        ]
    longest = await review(client, guest_token, reservation_id, 5, "x" * 5000)
    assert longest["errors"] == []


async def test_rating_and_reviews_newest_first_by_page(client, db, host):
    listing_id = await make_listing(db, host, units=5)
    unreviewed = await make_listing(db, host)
    for rating in (5, 4, 4):
        author = await make_user(db, Role.GUEST, name=f"Author {rating}")
        reservation_id = uuid.UUID(await make_stay(db, author, listing_id))
        async with db.transaction() as session:
            await create_review(
                session=session,
                author=author,
                reservation_id=reservation_id,
                rating=rating,
                comment=f"rated {rating}",
            )

    page = await client(LISTING, {"id": str(listing_id), "first": 2})
    found = page.data["listing"]
    rest = await client(
        LISTING,
        {"id": str(listing_id), "first": 2, "after": found["reviews"]["pageInfo"]["endCursor"]},
    )
    empty = await client(LISTING, {"id": str(unreviewed), "first": 2})

    assert found["rating"] == {"average": 4.33, "count": 3}
    assert found["reviews"]["totalCount"] == 3
    assert found["reviews"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["rating"] for e in found["reviews"]["edges"]] == [4, 4]
    assert [e["node"]["comment"] for e in rest.data["listing"]["reviews"]["edges"]] == ["rated 5"]
    assert rest.data["listing"]["reviews"]["edges"][0]["node"]["authorName"] == "Author 5"
    assert rest.data["listing"]["reviews"]["pageInfo"]["hasNextPage"] is False
    assert empty.data["listing"]["rating"] == {"average": None, "count": 0}
    assert empty.data["listing"]["reviews"]["edges"] == []


async def test_bad_page_arguments_are_invalid_input(client, db, host):
    listing_id = await make_listing(db, host)
    for variables in ({"first": 0}, {"first": 1, "after": "not a cursor"}):
        answer = await client(LISTING, {"id": str(listing_id)} | variables)
        assert answer.codes == ["INVALID_INPUT"]


RATINGS = """
query($first: Int!) {
  listings(first: $first) {
    edges { node { id rating { average count } reviews(first: 2) { edges { node { rating } } } } }
  }
}"""


async def test_ratings_of_many_listings_are_batched(client, app, db, host):
    author = await make_user(db, Role.GUEST)
    for n in range(30):
        listing_id = await make_listing(db, host, title=f"Listing {n}")
        reservation_id = uuid.UUID(await make_stay(db, author, listing_id))
        async with db.transaction() as session:
            await create_review(
                session=session,
                author=author,
                reservation_id=reservation_id,
                rating=1 + n % 5,
                comment="",
            )

    counts = []
    for first in (3, 30):
        with StatementCounter(app) as counter:
            answer = await client(RATINGS, {"first": first})
        edges = answer.data["listings"]["edges"]
        assert len(edges) == first
        assert all(e["node"]["rating"]["count"] == 1 for e in edges)
        assert all(len(e["node"]["reviews"]["edges"]) == 1 for e in edges)
        counts.append(counter.count)

    # listings page, ratings, reviews: the same few statements for 3 listings or 30
    assert counts[0] == counts[1] <= 3
