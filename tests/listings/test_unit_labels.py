"""Unit labels are unique per listing (attacker review, suspicion 3): two tables both
called "Bar" were accepted, by createListing's tables and by updateListing's slotUnits, so a
guest told "Bar" or a host's floor plan could not say which. A label repeating another
(case and spaces aside) is refused INVALID_INPUT on that entry's label, nothing changed;
a unit given no label is named after its position, or the next number not taken."""

from tests.graphql.test_input_errors import CREATE_LISTING, blamed
from tests.listings.test_slot_units import restaurant, tables, update


async def test_slot_units_repeating_a_label_are_refused_on_that_label(client, db, host, host_token):
    listing_id = await restaurant(db, host)
    before = await tables(client, host_token, listing_id)
    given = [
        {"id": before["Bar"]["id"]},
        {"id": before["Garden"]["id"], "label": " bar "},  # Bar's, read alike
        {"seats": 2, "label": "Window"},  # the kept Window's own
        {"id": before["Window"]["id"]},
    ]
    answer = await update(client, host_token, listing_id, given)
    assert answer["listing"] is None
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("INVALID_INPUT", ["input", "slotUnits", "1", "label"]),
        ("INVALID_INPUT", ["input", "slotUnits", "3", "label"]),
    ]
    assert await tables(client, host_token, listing_id) == before


async def test_a_new_unit_without_a_label_skips_a_taken_name(client, db, host, host_token):
    listing_id = await restaurant(db, host)
    before = await tables(client, host_token, listing_id)
    answer = await update(
        client,
        host_token,
        listing_id,
        [{"id": before["Bar"]["id"], "label": "Table 2"}, {"seats": 2}],
    )
    assert answer["errors"] == [], answer
    assert [unit["label"] for unit in answer["listing"]["bookableUnits"]] == ["Table 2", "Table 3"]


async def test_create_listing_refuses_two_tables_of_one_label(client, db, host_token):
    restaurant_input = {
        "kind": "RESTAURANT",
        "title": "Two bars",
        "nightlyPrice": "0",
        "tables": [{"seats": 2, "label": "Bar"}, {"seats": 4}, {"seats": 2, "label": "BAR"}],
    }
    answer = await client(CREATE_LISTING, {"input": restaurant_input}, token=host_token)
    payload = answer.data["createListing"]
    assert payload["listing"] is None
    assert blamed(payload) == [("INVALID_INPUT", ["input", "tables", "2", "label"])]
