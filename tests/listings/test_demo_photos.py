"""The demo data shows a listing with an address, a point on the map and photos whose
files are in the photo storage."""

from bookwell.cli import seed


async def test_the_demo_data_has_a_listing_with_photos(client, db, settings):
    await seed.seed(db, reservations_count=3, settings=settings)
    answer = await client(
        """{ listings(first: 100) { edges { node { title addressLine1 postalCode latitude
             longitude photos { altText contentType sizes { name url } } } } } }"""
    )
    shown = [e["node"] for e in answer.data["listings"]["edges"] if e["node"]["photos"]]
    assert len(shown) == 1
    listing = shown[0]
    assert listing["addressLine1"] and listing["postalCode"] and listing["latitude"] is not None
    assert [p["altText"] for p in listing["photos"]] == [
        "Living room in the morning light",
        "Bedroom with a double bed",
        "View from the balcony",
    ]
    assert {p["contentType"] for p in listing["photos"]} == {"image/jpeg"}
    files = [p for p in settings.photo_path.rglob("*") if p.is_file()]
    assert len(files) == 3 * 2  # three photos, two sizes each
