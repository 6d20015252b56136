"""Demo data for listing management: one stay with an address, a point on the map and
photos (drawn here with Pillow: no network), uploaded by the same flow as the API's."""

import io
import math

from PIL import Image, ImageDraw

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.core.storage import photo_storage
from bookwell.flows import listing_photos
from bookwell.flows import listings as listing_flows
from bookwell.models import ListingKind
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.changes import ListingChanges
from bookwell.services.listings.records import ListingRecord

# City -> (street, postal code, latitude, longitude): a plausible address for the demo stay.
ADDRESSES = {
    "Paris": ("12 rue des Rosiers", "75004", 48.8572, 2.3590),
    "Lisbon": ("Rua da Rosa 45", "1200-385", 38.7131, -9.1451),
    "Tokyo": ("2-11-3 Meguro", "153-0063", 35.6339, 139.7157),
    "New York": ("210 Mulberry St", "10012", 40.7229, -73.9960),
    "Sydney": ("18 Argyle Pl", "2000", -33.8576, 151.2043),
}
PICTURES = (
    ("Living room in the morning light", (244, 200, 120), (120, 80, 60)),
    ("Bedroom with a double bed", (190, 215, 235), (70, 90, 130)),
    ("View from the balcony", (120, 180, 230), (40, 120, 70)),
)


def _picture(sky: tuple[int, int, int], ground: tuple[int, int, int], shift: int) -> bytes:
    """A small landscape-like JPEG: a gradient sky, a sun, rolling ground."""
    width, height = 960, 640
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    for y in range(height // 2):
        shade = tuple(max(0, c - y // 6) for c in sky)
        draw.line([(0, y), (width, y)], fill=shade)
    draw.ellipse([700 - shift, 60, 820 - shift, 180], fill=(255, 240, 180))
    hills = [(x, int(height * 0.6 + 40 * math.sin((x + shift) / 90))) for x in range(0, width, 8)]
    draw.polygon([(0, height), *hills, (width, height)], fill=ground)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


async def add_listing_photos(
    db: Database, settings: Settings, made: list[ListingRecord], hosts: list[Principal]
) -> None:
    stay = next((row for row in made if row.kind is ListingKind.STAY and row.city), None)
    if stay is None or stay.city not in ADDRESSES:
        return
    owner = next(host for host in hosts if host.user_id == stay.owner_id)
    street, postal_code, latitude, longitude = ADDRESSES[stay.city]
    located = ListingChanges(
        address_line1=street, postal_code=postal_code, latitude=latitude, longitude=longitude
    )
    await listing_flows.update_listing(db, principal=owner, listing_id=stay.id, wanted=located)
    storage = photo_storage(settings)
    for shift, (alt_text, sky, ground) in enumerate(PICTURES):
        await listing_photos.upload_photo(
            db,
            principal=owner,
            listing_id=stay.id,
            data=_picture(sky, ground, shift * 120),
            alt_text=alt_text,
            settings=settings,
            storage=storage,
        )
