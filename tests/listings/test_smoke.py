from tests.factories import make_listing


async def test_listing_round_trip(client, db, host):
    listing_id = await make_listing(db, host, title="Loft", units=2, city="Paris")
    answer = await client(
        "query($id: ID!) { listing(id: $id) { title units city } }", {"id": str(listing_id)}
    )
    assert answer.status == 200
    assert answer.data["listing"] == {"title": "Loft", "units": 2, "city": "Paris"}
