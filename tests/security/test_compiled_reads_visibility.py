"""The attack: reading other people's reservations through the listing pages that the
compiled read path (graphql/engine/compiler/) answers in one SQL statement. Its
authorization is services/booking/visibility.py's predicate in that statement: a guest sees
only their own reservations, a host those on their own listings, an anonymous caller none."""

from datetime import date, timedelta

from bookwell.core.ids import global_id
from bookwell.graphql.engine.compiler import run
from bookwell.models import Role
from tests.factories import MANY_HOLDS, book, make_listing, make_token, make_user

PAGES = """{ listings(first: 100) { edges { node { id
  reservations(first: 50) { edges { node { id guestName } } } } } } }"""
# The reservations root, and through each reservation's listing the pages of that listing.
MINE = """{ reservations(first: 100) { totalCount edges { node { id guest { name }
  listing { reservations(first: 50) { totalCount edges { node { id guestName } } } } } } } }"""


async def test_a_guest_or_host_reads_no_one_elses_reservations(db, client):
    host = await make_user(db, Role.HOST)
    rival_host = await make_user(db, Role.HOST)
    victim = await make_user(db, Role.GUEST)
    attacker = await make_user(db, Role.GUEST)
    soon = date.today() + timedelta(days=5)
    own = await make_listing(db, host, **MANY_HOLDS)
    rivals = await make_listing(db, rival_host, **MANY_HOLDS)
    secret = await book(db, victim, rivals, soon, nights=1)
    mine = await book(db, attacker, own, soon, nights=1)
    hosted = await book(db, victim, own, soon + timedelta(days=2), nights=1)
    ids = {
        name: global_id("Reservation", row.id)
        for name, row in [("secret", secret), ("mine", mine), ("hosted", hosted)]
    }

    async def seen(token: str | None, document: str = PAGES) -> set[str]:
        before = run.counters.answered
        answer = await client(document, token=token)
        assert answer.status == 200 and "errors" not in answer.body
        assert run.counters.answered == before + 1, "the compiled path answered"
        text = str(answer.body)
        return {name for name, id_ in ids.items() if id_ in text}

    tokens = {user: await make_token(db, user) for user in (attacker, host, rival_host)}
    for document in (PAGES, MINE):
        assert await seen(tokens[attacker], document) == {"mine"}
        assert await seen(tokens[host], document) == {"mine", "hosted"}
        assert await seen(tokens[rival_host], document) == {"secret"}
    assert await seen(None) == set()
