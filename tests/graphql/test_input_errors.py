"""A mutation answers every mistake of its input that needs no database at once, each error
with the path of the argument or input field to blame, and writes nothing."""

from datetime import date, timedelta

from sqlalchemy import text

from bookwell.models import ListingKind
from tests.factories import make_listing

SOON = str(date.today() + timedelta(days=30))
ERRORS = "errors { code field message }"

REGISTER = f"""mutation($input: RegisterInput!) {{
  register(input: $input) {{ accessToken {ERRORS} }}
}}"""
RESERVE = f"""mutation($input: CreateReservationInput!) {{
  createReservation(input: $input) {{ reservation {{ id }} {ERRORS} }}
}}"""
CANCEL = f"""mutation($id: ID!, $reason: String) {{
  cancelReservation(id: $id, reason: $reason) {{ reservation {{ id }} {ERRORS} }}
}}"""
PAY = f"""mutation($id: ID!, $key: String!) {{
  payReservation(id: $id, idempotencyKey: $key) {{ reservation {{ id }} {ERRORS} }}
}}"""
CREATE_LISTING = f"""mutation($input: CreateListingInput!) {{
  createListing(input: $input) {{ listing {{ id }} {ERRORS} }}
}}"""
TERMS = f"""mutation($id: ID!, $input: ListingTermsInput!) {{
  updateListingTerms(listingId: $id, input: $input) {{ listing {{ id }} {ERRORS} }}
}}"""


def blamed(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def count(db, table: str) -> int:
    async with db.read() as session:
        return (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


async def test_register_answers_a_bad_email_and_a_short_password_together(client, db):
    users = await count(db, "users")
    answer = await client(
        REGISTER, {"input": {"email": "not-an-email", "password": "short", "name": "Ann"}}
    )
    payload = answer.data["register"]
    assert payload["accessToken"] is None
    assert blamed(payload) == [
        ("INVALID_INPUT", ["input", "email"]),
        ("INVALID_INPUT", ["input", "password"]),
    ]
    assert [error["message"] for error in payload["errors"]] == [
        "Not an email address.",
        "A password needs 8 to 1024 characters.",
    ]
    assert await count(db, "users") == users


async def test_create_reservation_answers_dates_quantity_and_key_together(
    client, db, host, guest_token
):
    listing_id = await make_listing(db, host, units=2)
    booking = {
        "listingId": str(listing_id),
        "startDate": SOON,
        "nights": 0,
        "quantity": 0,
        "idempotencyKey": "k" * 201,
    }
    answer = await client(RESERVE, {"input": booking}, token=guest_token)
    payload = answer.data["createReservation"]
    assert payload["reservation"] is None
    assert blamed(payload) == [
        ("INVALID_DATES", ["input", "nights"]),
        ("INVALID_INPUT", ["input", "quantity"]),
        ("INVALID_INPUT", ["input", "idempotencyKey"]),
    ]

    # A malformed listing id is one more mistake, answered with the others.
    malformed = await client(RESERVE, {"input": booking | {"listingId": "nope"}}, token=guest_token)
    assert [field for _, field in blamed(malformed.data["createReservation"])] == [
        ["input", "listingId"],
        ["input", "nights"],
        ["input", "quantity"],
        ["input", "idempotencyKey"],
    ]
    assert await count(db, "reservations") == 0
    assert await count(db, "idempotency_keys") == 0


async def test_a_rule_that_needs_the_database_still_answers_alone(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=2)
    booking = {"listingId": str(listing_id), "startDate": SOON, "nights": 2, "quantity": 3}
    answer = await client(RESERVE, {"input": booking}, token=guest_token)
    assert blamed(answer.data["createReservation"]) == [("INVALID_INPUT", ["input", "quantity"])]
    assert await count(db, "reservations") == 0


async def test_a_bad_top_level_id_is_blamed_by_its_argument(client, db, guest_token):
    answer = await client(CANCEL, {"id": "nope"}, token=guest_token)
    assert blamed(answer.data["cancelReservation"]) == [("NOT_FOUND", ["id"])]

    both = await client(CANCEL, {"id": "nope", "reason": "\x00"}, token=guest_token)
    assert blamed(both.data["cancelReservation"]) == [
        ("NOT_FOUND", ["id"]),
        ("INVALID_INPUT", ["reason"]),
    ]
    paid = await client(PAY, {"id": "nope", "key": ""}, token=guest_token)
    assert blamed(paid.data["payReservation"]) == [
        ("NOT_FOUND", ["id"]),
        ("INVALID_INPUT", ["idempotencyKey"]),
    ]
    assert await count(db, "payments") == 0


async def test_create_listing_blames_each_table_by_its_index(client, db, host_token):
    listings = await count(db, "listings")
    restaurant = {
        "kind": ListingKind.RESTAURANT.name,
        "title": "  ",
        "nightlyPrice": "12.345",
        "units": 3,
        "slotMinutes": 2,
        "tables": [{"seats": 4}, {"seats": 0}, {"seats": 2, "label": "x" * 101}],
    }
    answer = await client(CREATE_LISTING, {"input": restaurant}, token=host_token)
    payload = answer.data["createListing"]
    assert payload["listing"] is None
    assert blamed(payload) == [
        ("INVALID_INPUT", ["input", "title"]),
        ("INVALID_INPUT", ["input", "nightlyPrice"]),
        ("INVALID_INPUT", ["input", "slotMinutes"]),
        ("INVALID_INPUT", ["input", "tables", "1", "seats"]),
        ("INVALID_INPUT", ["input", "tables", "2", "label"]),
    ]
    assert await count(db, "listings") == listings
    assert await count(db, "listing_units") == 0


async def test_terms_blame_the_listing_argument_and_the_input_fields(client, db, host, host_token):
    changes = {"nightlyPrice": "abc", "holdMinutes": 0, "lateRefundPercent": 101}
    answer = await client(TERMS, {"id": "nope", "input": changes}, token=host_token)
    assert blamed(answer.data["updateListingTerms"]) == [
        ("NOT_FOUND", ["listingId"]),
        ("INVALID_INPUT", ["input", "nightlyPrice"]),
        ("INVALID_INPUT", ["input", "holdMinutes"]),
        ("INVALID_INPUT", ["input", "lateRefundPercent"]),
    ]
    listing_id = await make_listing(db, host)
    nothing = await client(TERMS, {"id": str(listing_id), "input": {}}, token=host_token)
    assert nothing.data["updateListingTerms"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["input"], "message": "Nothing to change."}
    ]


async def test_a_query_answers_each_mistake_inside_its_filter_argument(client):
    answer = await client('{ listings(filter: {minPrice: "abc", maxPrice: "NaN"}) { totalCount } }')
    assert answer.codes == ["INVALID_INPUT", "INVALID_INPUT"]
    assert [error["extensions"]["field"] for error in answer.errors] == [
        ["filter", "minPrice"],
        ["filter", "maxPrice"],
    ]
