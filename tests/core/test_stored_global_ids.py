"""The global ids PostgreSQL keeps beside listings, reservations and users (migration 0032)
are the API's own (core.ids.global_id), and the compiled reads write them verbatim."""

from sqlalchemy import select

from bookwell.core.db import Database
from bookwell.core.ids import global_id
from bookwell.graphql.engine.compiler.sql import verbatim
from bookwell.models import Listing, Reservation, User
from bookwell.models.user import Role
from tests.factories import book, in_days, make_listing, make_user

TYPES = ((Listing, "Listing"), (Reservation, "Reservation"), (User, "User"))


async def test_each_stored_global_id_is_the_api_s(db: Database):
    host = await make_user(db, Role.HOST)
    listing_id = await make_listing(db, host)
    reservation = await book(db, None, listing_id, in_days(10), in_days(12))
    async with db.read() as session:
        for model, type_name in (
            (Listing, "Listing"),
            (Reservation, "Reservation"),
            (User, "User"),
        ):
            rows = (await session.execute(select(model.id, model.global_id))).all()
            assert rows, type_name
            for database_id, stored in rows:
                assert stored == global_id(type_name, database_id)
    assert reservation.id is not None


async def test_the_orm_does_not_load_it_unless_asked(db: Database):
    host = await make_user(db, Role.HOST)
    listing_id = await make_listing(db, host)
    async with db.read() as session:
        listing = await session.get(Listing, listing_id)
        assert listing is not None
        assert "global_id" not in listing.__dict__


def test_stored_global_ids_are_written_verbatim():
    assert verbatim(Listing.global_id)
    assert verbatim(Reservation.global_id)
    assert verbatim(User.global_id)
