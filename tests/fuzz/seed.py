"""What the fuzzer finds in the database: users of every role with tokens, listings of
several kinds and reservations in several states, so that fuzzed ids can hit real rows."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from bookwell.core.db import Database
from bookwell.models import ListingKind, Role
from bookwell.services.listings.stays import today_in
from tests.factories import book, make_listing, make_token, make_user


@dataclass(frozen=True)
class Seeded:
    tokens: dict[Role, str]
    ids: list[uuid.UUID]


async def seed(db: Database) -> Seeded:
    host = await make_user(db, Role.HOST)
    admin = await make_user(db, Role.ADMIN)
    guest = await make_user(db, Role.GUEST)
    stay = await make_listing(db, host, units=2, city="Paris", country="FR")
    full = await make_listing(db, host, units=1, title="Tiny room")
    # Zones far from UTC: wall-clock arithmetic near the ends of the calendar overflows.
    restaurant = await make_listing(
        db, host, kind=ListingKind.RESTAURANT, units=3, timezone="Pacific/Kiritimati"
    )
    space = await make_listing(
        db, host, kind=ListingKind.SPACE, units=1, nightly_price="40", timezone="America/Adak"
    )
    start = today_in("UTC") + timedelta(days=10)
    pending = (await book(db, guest, stay, start, nights=2)).id
    confirmed = (await book(db, guest, full, start, nights=3, paid=True)).id
    users = {Role.GUEST: guest, Role.HOST: host, Role.ADMIN: admin}
    tokens = {role: await make_token(db, user) for role, user in users.items()}
    return Seeded(tokens, [stay, full, restaurant, space, pending, confirmed])
