"""Listing.blackouts in the compiled read path (issue 18): in force, earliest first, at most
`first`, for the listing's host and admins (null for anyone else), byte for byte what the
ordinary executor answers for each viewer."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bookwell.models import Role
from bookwell.services.calendar.blackout_input import NewBlackout
from bookwell.services.calendar.blackouts import create_blackout
from tests.factories import make_listing, make_slot_listing, make_user
from tests.graphql.test_compiled_reads import VIEWERS, _answer

SOON = date.today() + timedelta(days=20)
FIELDS = "id databaseId reason startDate endDate startsAt endsAt units createdAt __typename"
DOCUMENTS = {
    "every listing's": "{ listings(first: 10) { edges { node { id blackouts { %s } } } } }",
    "the first two": "{ listings(first: 10) { edges { node { blackouts(first: 2) { id } } } } }",
    "aliased, beside reservations": (
        "{ listings(first: 10) { edges { node { title a: blackouts(first: 1) { reason }"
        " b: blackouts { startDate } reservations(first: 3) { totalCount } } } } }"
    ),
}


@pytest.fixture
async def blacked_out(db) -> dict:
    host = await make_user(db, Role.HOST, "Host")
    other = await make_user(db, Role.HOST, "Other host")
    guest = await make_user(db, Role.GUEST, "Guest")
    admin = await make_user(db, Role.ADMIN, "Admin")
    stay = await make_listing(db, host, title="Stay", units=3)
    await make_listing(db, other, title="Other's")  # none: an empty list for its host
    slots = await make_slot_listing(db, host, units=2, title="Room")
    blackouts = [
        # Two beginning together: the id orders them.
        NewBlackout(stay, SOON, SOON + timedelta(days=2), reason='Zoë "Q" \\ ✓', units=1),
        NewBlackout(stay, SOON, SOON + timedelta(days=1), reason="Same start", units=1),
        NewBlackout(stay, SOON - timedelta(days=5), SOON - timedelta(days=4), reason="Earlier"),
        NewBlackout(
            slots,
            starts_at=datetime.combine(SOON, datetime.min.time(), UTC) + timedelta(hours=10),
            ends_at=datetime.combine(SOON, datetime.min.time(), UTC) + timedelta(hours=12),
            reason="Hours",
            units=1,
        ),
    ]
    for data in blackouts:
        async with db.transaction() as session:
            await create_blackout(session=session, principal=host, data=data)
    return {"anonymous": None, "guest": guest, "host": host, "admin": admin, "other": other}


@pytest.mark.parametrize("viewer_name", [*VIEWERS, "other"])
@pytest.mark.parametrize("name", DOCUMENTS)
async def test_blackouts_compile_to_the_same_answer(db, settings, blacked_out, name, viewer_name):
    document = DOCUMENTS[name].replace("%s", FIELDS)
    viewer = blacked_out[viewer_name]
    compiled = await _answer(db, settings, viewer, document, {}, compiled=True)
    ordinary = await _answer(db, settings, viewer, document, {}, compiled=False)
    assert compiled[:2] == ordinary[:2]
    assert compiled[2], "the compiled path answered"
    body = compiled[0]
    if viewer_name in ("host", "admin"):
        assert body.count(b'"blackouts":[') + body.count(b'":[{"') >= 2
        if name == "every listing's":
            assert b'"reason":"Zo\xc3\xab \\"Q\\" \\\\ \xe2\x9c\x93"' in body
            assert b'"startsAt":"' in body and body.count(b'"reason"') == 4
    elif viewer_name == "other":
        assert b'"blackouts":[]' in body or b'"a":[]' in body  # their own listing's
    else:
        assert b'"reason"' not in body and b'"startDate"' not in body


@pytest.mark.parametrize("first", [0, 501])
async def test_a_page_out_of_range_is_the_ordinary_paths_error(db, settings, blacked_out, first):
    document = "{ listings(first: 10) { edges { node { blackouts(first: %d) { id } } } } }"
    host = blacked_out["host"]
    compiled = await _answer(db, settings, host, document % first, {}, compiled=True)
    ordinary = await _answer(db, settings, host, document % first, {}, compiled=False)
    assert compiled[:2] == ordinary[:2] and compiled[1]
    assert not compiled[2]
