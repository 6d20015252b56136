"""Booking rules (issue 19.1) set through the API: setListingBookingRules, seasons,
createListing and updateListing; checked, and only by the listing's host."""

from bookwell.models import Role
from tests.factories import in_days, make_listing, make_token, make_user

SET = """mutation($id: ID!, $input: BookingRulesInput!) {
  setListingBookingRules(listingId: $id, input: $input) {
    listing { bookingRules { minNights maxNights minNoticeHours bookingWindowDays
                             arrivalWeekdays departureWeekdays } }
    errors { code field }
  }
}"""
ADD_SEASON = """mutation($input: BookingRuleSeasonInput!) {
  addBookingRuleSeason(input: $input) {
    season { id name startDate endDate rules { minNights } } errors { code field }
  }
}"""
REMOVE_SEASON = """mutation($id: ID!) {
  removeBookingRuleSeason(id: $id) {
    listing { bookingRuleSeasons { name } } errors { code }
  }
}"""
READ = """query($id: ID!) {
  listing(id: $id) { bookingRules { minNights arrivalWeekdays }
                     bookingRuleSeasons { id name rules { minNights maxNights } } }
}"""


async def test_a_host_sets_rules_and_seasons_through_the_api(client, db, host, host_token):
    listing_id = await make_listing(db, host)
    rules = {
        "minNights": 2,
        "maxNights": 14,
        "minNoticeHours": 24,
        "bookingWindowDays": 365,
        "arrivalWeekdays": [6, 5, 6],
        "departureWeekdays": [6, 7],
    }
    answer = await client(SET, {"id": str(listing_id), "input": rules}, token=host_token)
    payload = answer.data["setListingBookingRules"]
    assert payload["errors"] == []
    assert payload["listing"]["bookingRules"] == rules | {"arrivalWeekdays": [5, 6]}
    season = {
        "listingId": str(listing_id),
        "name": "Summer",
        "startDate": str(in_days(30)),
        "endDate": str(in_days(60)),
        "rules": {"minNights": 7},
    }
    added = await client(ADD_SEASON, {"input": season}, token=host_token)
    assert added.data["addBookingRuleSeason"]["errors"] == []
    season_id = added.data["addBookingRuleSeason"]["season"]["id"]
    read = await client(READ, {"id": str(listing_id)})
    assert read.data["listing"] == {
        "bookingRules": {"minNights": 2, "arrivalWeekdays": [5, 6]},
        "bookingRuleSeasons": [
            {"id": season_id, "name": "Summer", "rules": {"minNights": 7, "maxNights": None}}
        ],
    }
    node = await client("query($id: ID!) { node(id: $id) { id } }", {"id": season_id})
    assert node.data["node"] == {"id": season_id}
    removed = await client(REMOVE_SEASON, {"id": season_id}, token=host_token)
    assert removed.data["removeBookingRuleSeason"] == {
        "listing": {"bookingRuleSeasons": []},
        "errors": [],
    }
    cleared = await client(SET, {"id": str(listing_id), "input": {}}, token=host_token)
    assert set(cleared.data["setListingBookingRules"]["listing"]["bookingRules"].values()) == {None}


async def test_rules_are_checked_and_only_the_host_sets_them(client, db, host, host_token):
    listing_id = await make_listing(db, host)
    bad = {"minNights": 5, "maxNights": 3, "minNoticeHours": -1, "arrivalWeekdays": [0, 8]}
    answer = await client(SET, {"id": str(listing_id), "input": bad}, token=host_token)
    fields = [tuple(e["field"]) for e in answer.data["setListingBookingRules"]["errors"]]
    assert sorted(fields) == [
        ("input", "arrivalWeekdays"),
        ("input", "maxNights"),
        ("input", "minNoticeHours"),
    ]
    empty_season = {
        "listingId": str(listing_id),
        "name": "",
        "startDate": str(in_days(30)),
        "endDate": str(in_days(30)),
        "rules": {"maxNights": 0},
    }
    refused = await client(ADD_SEASON, {"input": empty_season}, token=host_token)
    errors = refused.data["addBookingRuleSeason"]["errors"]
    assert sorted(tuple(e["field"]) for e in errors) == [
        ("input", "endDate"),
        ("input", "name"),
        ("input", "rules", "maxNights"),
    ]
    other = await make_token(db, await make_user(db, Role.HOST))
    forbidden = await client(SET, {"id": str(listing_id), "input": {"minNights": 2}}, token=other)
    assert [e["code"] for e in forbidden.data["setListingBookingRules"]["errors"]] == ["FORBIDDEN"]
    read = await client(READ, {"id": str(listing_id)})
    assert read.data["listing"]["bookingRules"] == {"minNights": None, "arrivalWeekdays": None}


CREATE = """mutation($input: CreateListingInput!) {
  createListing(input: $input) {
    listing { databaseId bookingRules { minNights departureWeekdays } } errors { code field }
  }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateListingInput!) {
  updateListing(id: $id, input: $input) {
    listing { title bookingRules { minNights maxNights } } errors { code field }
  }
}"""


async def test_create_and_update_listing_take_booking_rules(client, host_token):
    listing = {"title": "Ruled", "nightlyPrice": "80", "timezone": "UTC", "currency": "EUR"}
    created = await client(
        CREATE,
        {"input": listing | {"bookingRules": {"minNights": 2, "departureWeekdays": [7]}}},
        token=host_token,
    )
    payload = created.data["createListing"]
    assert payload["errors"] == []
    assert payload["listing"]["bookingRules"] == {"minNights": 2, "departureWeekdays": [7]}
    listing_id = payload["listing"]["databaseId"]
    alone = await client(
        UPDATE, {"id": listing_id, "input": {"bookingRules": {"maxNights": 5}}}, token=host_token
    )
    assert alone.data["updateListing"] == {
        "listing": {"title": "Ruled", "bookingRules": {"minNights": None, "maxNights": 5}},
        "errors": [],
    }
    both = await client(
        UPDATE,
        {"id": listing_id, "input": {"title": "Ruled too", "bookingRules": {"minNights": 3}}},
        token=host_token,
    )
    assert both.data["updateListing"]["listing"] == {
        "title": "Ruled too",
        "bookingRules": {"minNights": 3, "maxNights": None},
    }
    bad = await client(
        CREATE, {"input": listing | {"bookingRules": {"minNights": 0}}}, token=host_token
    )
    assert bad.data["createListing"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["input", "bookingRules", "minNights"]}
    ]


async def test_pages_of_listings_show_their_rules(client, db, host, host_token):
    city = "Rules page"
    listing_id = await make_listing(db, host, city=city)
    await client(SET, {"id": str(listing_id), "input": {"minNights": 2}}, token=host_token)
    query = """query($city: String!, $start: Date!) {
      listings(filter: {city: $city}) { edges { node { bookingRules { minNights } } } }
      searchAvailability(startDate: $start, nights: 2, filter: {city: $city}) {
        edges { node { bookingRules { minNights } bookingRuleSeasons { name } } }
      }
    }"""
    answer = await client(query, {"city": city, "start": str(in_days(20))})
    assert answer.errors == []
    assert answer.data["listings"]["edges"] == [{"node": {"bookingRules": {"minNights": 2}}}]
    assert answer.data["searchAvailability"]["edges"] == [
        {"node": {"bookingRules": {"minNights": 2}, "bookingRuleSeasons": []}}
    ]
