"""Nested reads are batched: the number of SQL statements does not grow with the rows."""

from datetime import date, timedelta

from bookwell.models import Role
from bookwell.services.booking.reservations import NewReservation, create_reservation
from tests.factories import make_listing, make_token, make_user
from tests.support.sql_statements import StatementCounter

NESTED = """
query($start: Date!, $end: Date!, $first: Int!) {
  listings(first: $first) {
    edges { node {
      id title
      owner { id name }
      availability(startDate: $start, endDate: $end) { available freeUnits }
      reservations(first: 5) { edges { node { id listing { id } guest { name } } } }
    } }
  }
}"""


async def _statements_for(client, app, token: str, first: int) -> int:
    start = date.today() + timedelta(days=10)
    variables = {"start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat()}
    with StatementCounter(app) as counter:
        answer = await client(NESTED, variables | {"first": first}, token=token)
    edges = answer.data["listings"]["edges"]
    assert len(edges) == first
    assert all(len(e["node"]["reservations"]["edges"]) == 2 for e in edges)
    return counter.count


async def test_nested_read_runs_a_constant_number_of_statements(client, app, db):
    hosts = [await make_user(db, Role.HOST) for _ in range(10)]
    guests = [await make_user(db, Role.GUEST) for _ in range(10)]
    for n in range(100):
        listing_id = await make_listing(db, hosts[n % 10], title=f"Listing {n}", units=2)
        for days in (3, 20):
            async with db.transaction() as session:
                await create_reservation(
                    session=session,
                    guest=guests[(n + days) % 10],
                    data=NewReservation(listing_id, date.today() + timedelta(days=days), nights=2),
                )
    token = await make_token(db, await make_user(db, Role.ADMIN))

    # The token is asked of the database once, then remembered (BOOKWELL_TOKEN_CACHE_SECONDS).
    await _statements_for(client, app, token, first=5)
    few = await _statements_for(client, app, token, first=5)
    many = await _statements_for(client, app, token, first=100)

    # (authenticate, once,) listings page, owners, availability, reservations, their
    # listings, guests
    assert many == few
    assert many <= 7
