"""ListingFilter's minPrice and maxPrice in the compiled read path (issue 18): the listings
and searchAvailability they find, byte for byte what the ordinary executor answers, at the
edges (equal prices, a cent either side, whitespace, an empty bound, other currencies) and
for the values the input refuses (the ordinary path's error, not compiled)."""

from datetime import date, timedelta

import pytest

from bookwell.models import Role
from tests.factories import make_listing, make_user
from tests.graphql.test_compiled_reads import VIEWERS, _answer

SOON = date.today() + timedelta(days=12)
# (nightly price, currency) of each listing
PRICES = [
    ("0", "USD"),
    ("79.99", "USD"),
    ("80", "USD"),
    ("80.01", "EUR"),
    ("80.5", "JPY"),
    ("1234567.5", "USD"),
]
LISTINGS = """query($filter: ListingFilter) { listings(first: 50, filter: $filter) { totalCount
  edges { node { title nightlyPrice { amount currency } } } } }"""
SEARCH = """query($filter: ListingFilter, $start: Date!) {
  searchAvailability(startDate: $start, nights: 2, filter: $filter, first: 50) { totalCount
    pageInfo { hasNextPage } edges { node { title nightlyPrice { amount currency } } } } }"""

ANSWERED = {
    "at least 80": ({"minPrice": "80"}, 4),
    "at least 80.00": ({"minPrice": "80.00"}, 4),
    "at least a cent more": ({"minPrice": "80.01"}, 3),
    "at most 80": ({"maxPrice": "80"}, 3),
    "at most a cent less": ({"maxPrice": "79.99"}, 2),
    "at most zero": ({"maxPrice": "0"}, 1),
    "between, with whitespace": ({"minPrice": " 79.99 ", "maxPrice": "80.01\n"}, 3),
    "the most": ({"minPrice": "1234567.50", "maxPrice": "1234567.5"}, 1),
    "none between": ({"minPrice": "81", "maxPrice": "80"}, 0),
    "empty bounds are none": ({"minPrice": "", "maxPrice": ""}, 6),
    "with a city and a kind": ({"minPrice": "80", "city": "Bonn", "kind": "STAY"}, 2),
    "of archived ones": ({"maxPrice": "100", "archived": True}, 0),
}
REFUSED = {
    "three places": {"minPrice": "80.001"},
    "negative": {"maxPrice": "-1"},
    "not a number": {"minPrice": "eighty", "maxPrice": "NaN"},
    "too large": {"maxPrice": "1e30"},
}


@pytest.fixture
async def priced(db) -> dict:
    host = await make_user(db, Role.HOST, "Host")
    guest = await make_user(db, Role.GUEST, "Guest")
    admin = await make_user(db, Role.ADMIN, "Admin")
    for n, (price, currency) in enumerate(PRICES):
        await make_listing(
            db,
            host,
            title=f"P{n}",
            nightly_price=price,
            currency=currency,
            city="Bonn" if n % 2 == 0 else None,
        )
    return {"anonymous": None, "guest": guest, "host": host, "admin": admin}


async def _both(db, settings, viewer, document, variables):
    compiled = await _answer(db, settings, viewer, document, variables, compiled=True)
    ordinary = await _answer(db, settings, viewer, document, variables, compiled=False)
    assert compiled[:2] == ordinary[:2]
    return compiled


@pytest.mark.parametrize("viewer_name", VIEWERS)
@pytest.mark.parametrize("name", ANSWERED)
async def test_a_price_filter_compiles_to_the_same_answer(db, settings, priced, name, viewer_name):
    viewer = priced[viewer_name]
    price_filter, count = ANSWERED[name]
    for document in (LISTINGS, SEARCH):
        variables = {"filter": price_filter, "start": SOON.isoformat()}
        body, errors, took = await _both(db, settings, viewer, document, variables)
        assert took and errors == []
        assert body.count(b'"title"') == count
        assert f'"totalCount":{count}'.encode() in body


@pytest.mark.parametrize("name", REFUSED)
async def test_a_price_the_input_refuses_is_the_ordinary_paths_error(db, settings, priced, name):
    for document in (LISTINGS, SEARCH):
        variables = {"filter": REFUSED[name], "start": SOON.isoformat()}
        _, errors, took = await _both(db, settings, priced["guest"], document, variables)
        assert not took and errors
