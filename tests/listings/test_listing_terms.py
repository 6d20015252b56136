"""Hosts set prices, fees and policies; bookings keep the terms they were made under."""

from datetime import timedelta

from bookwell.models import ListingKind, Role
from bookwell.services.listings.stays import today_in
from tests.factories import make_listing, make_token, make_user

TERMS = """
mutation($id: ID!, $input: ListingTermsInput!) {
  updateListingTerms(listingId: $id, input: $input) {
    listing { instantBook holdMinutes cleaningFee { amount currency }
              cancellationPolicy { freeCancellationDays lateRefundPercent } }
    errors { code field }
  }
}"""
ADD_RULE = """
mutation($input: PriceRuleInput!) {
  addPriceRule(input: $input) { priceRule { id name weekdays nightlyPrice { amount } }
                                errors { code field } }
}"""
QUOTE = """
query($id: ID!, $start: Date!, $nights: Int!) {
  listing(id: $id) {
    quote(startDate: $start, nights: $nights) {
      total { amount } lineItems { kind startDate endDate unitPrice { amount } amount { amount } }
    }
    priceRules { name }
  }
}"""
BOOK = """
mutation($input: CreateReservationInput!) {
  createReservation(input: $input) {
    reservation { id status expiresAt totalPrice { amount }
                  price { total { amount } cancellationPolicy { lateRefundPercent } } }
    errors { code }
  }
}"""


def monday_ahead():
    day = today_in("UTC") + timedelta(days=30)
    return day + timedelta(days=(7 - day.weekday()) % 7)


async def test_host_updates_terms(client, db, host, host_token):
    listing_id = await make_listing(db, host)
    answer = await client(
        TERMS,
        {
            "id": str(listing_id),
            "input": {"instantBook": False, "cleaningFee": "20", "lateRefundPercent": 0},
        },
        token=host_token,
    )
    assert answer.data["updateListingTerms"] == {
        "listing": {
            "instantBook": False,
            "holdMinutes": 15,
            "cleaningFee": {"amount": "20.00", "currency": "USD"},
            "cancellationPolicy": {"freeCancellationDays": 1, "lateRefundPercent": 0},
        },
        "errors": [],
    }


async def test_terms_are_checked_and_owned(client, db, host, host_token, guest_token):
    listing_id = await make_listing(db, host)
    bad = await client(
        TERMS, {"id": str(listing_id), "input": {"holdMinutes": 0}}, token=host_token
    )
    assert bad.data["updateListingTerms"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["input", "holdMinutes"]}
    ]
    money = await client(
        TERMS, {"id": str(listing_id), "input": {"cleaningFee": "-1"}}, token=host_token
    )
    assert money.data["updateListingTerms"]["errors"][0]["field"] == ["input", "cleaningFee"]
    other_host = await make_token(db, await make_user(db, Role.HOST))
    for token in (guest_token, other_host):
        refused = await client(
            TERMS, {"id": str(listing_id), "input": {"instantBook": False}}, token=token
        )
        assert refused.data["updateListingTerms"]["errors"] == [
            {"code": "FORBIDDEN", "field": ["listingId"]}
        ]


async def test_price_rules_shape_quotes_and_bookings(client, db, host, host_token, guest_token):
    listing_id = await make_listing(db, host, nightly_price="100")
    weekend = await client(
        ADD_RULE,
        {
            "input": {
                "listingId": str(listing_id),
                "name": "Weekend",
                "nightlyPrice": "140",
                "weekdays": [6, 5],
            }
        },
        token=host_token,
    )
    assert weekend.data["addPriceRule"]["priceRule"]["weekdays"] == [5, 6]
    await client(TERMS, {"id": str(listing_id), "input": {"cleaningFee": "25"}}, token=host_token)
    monday = monday_ahead()
    quoted = await client(
        QUOTE, {"id": str(listing_id), "start": monday.isoformat(), "nights": 7}, token=guest_token
    )
    quote = quoted.data["listing"]["quote"]
    assert quote["total"]["amount"] == "805.00"  # 5 x 100 + 2 x 140 + 25
    assert [item["unitPrice"]["amount"] for item in quote["lineItems"]] == [
        "100.00",
        "140.00",
        "100.00",
        "25.00",
    ]
    assert quoted.data["listing"]["priceRules"] == [{"name": "Weekend"}]

    booked = await client(
        BOOK,
        {"input": {"listingId": str(listing_id), "startDate": monday.isoformat(), "nights": 7}},
        token=guest_token,
    )
    reservation = booked.data["createReservation"]["reservation"]
    assert reservation["status"] == "PENDING"
    assert reservation["expiresAt"] is not None
    assert reservation["totalPrice"] == {"amount": "805.00"}

    # Later changes of price or policy do not touch the booking's snapshot.
    await client(
        TERMS,
        {"id": str(listing_id), "input": {"nightlyPrice": "300", "lateRefundPercent": 0}},
        token=host_token,
    )
    seen = await client(
        "query($id: ID!) { reservation(id: $id) { totalPrice { amount } "
        "price { total { amount } cancellationPolicy { lateRefundPercent } } } }",
        {"id": reservation["id"]},
        token=guest_token,
    )
    assert seen.data["reservation"] == {
        "totalPrice": {"amount": "805.00"},
        "price": {"total": {"amount": "805.00"}, "cancellationPolicy": {"lateRefundPercent": 50}},
    }


async def test_bad_price_rules(client, db, host, host_token):
    listing_id = await make_listing(db, host)
    base = {"listingId": str(listing_id), "name": "x", "nightlyPrice": "10"}
    cases = [
        ({}, "startDate"),
        ({"weekdays": [0]}, "weekdays"),
        ({"weekdays": [1], "nightlyPrice": "1.234"}, "nightlyPrice"),
        ({"startDate": "2031-01-05", "endDate": "2031-01-05"}, "endDate"),
        ({"weekdays": [1], "name": " "}, "name"),
    ]
    for extra, field in cases:
        answer = await client(ADD_RULE, {"input": {**base, **extra}}, token=host_token)
        assert answer.data["addPriceRule"]["errors"][0]["field"] == ["input", field], extra


async def test_remove_price_rule(client, db, host, host_token, guest_token):
    listing_id = await make_listing(db, host)
    added = await client(
        ADD_RULE,
        {
            "input": {
                "listingId": str(listing_id),
                "name": "Season",
                "nightlyPrice": "10",
                "startDate": "2031-06-01",
            }
        },
        token=host_token,
    )
    rule_id = added.data["addPriceRule"]["priceRule"]["id"]
    remove = (
        "mutation($id: ID!) { removePriceRule(id: $id) "
        "{ listing { priceRules { name } } errors { code } } }"
    )
    stranger = await client(remove, {"id": rule_id}, token=guest_token)
    assert stranger.data["removePriceRule"]["errors"] == [{"code": "NOT_FOUND"}]
    removed = await client(remove, {"id": rule_id}, token=host_token)
    assert removed.data["removePriceRule"] == {"listing": {"priceRules": []}, "errors": []}


async def test_slot_listings_are_not_quoted_by_the_night(client, db, host, guest_token):
    listing_id = await make_listing(db, host, kind=ListingKind.RESTAURANT)
    answer = await client(
        QUOTE,
        {"id": str(listing_id), "start": monday_ahead().isoformat(), "nights": 1},
        token=guest_token,
    )
    assert answer.codes == ["INVALID_INPUT"]
    assert "searchSlots" in answer.errors[0]["message"]
