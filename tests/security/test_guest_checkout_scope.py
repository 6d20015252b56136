"""Attacks on manage links (issue 17.7): the token a booking without an account answers.

The attacks: use one booking's manage token to read or touch another booking (even one of
the same email address, which shares the checkout user), to act as that user elsewhere
(API tokens, booking again, reviews, waitlists, the profile), hiding a forbidden field in
an alias or a fragment; and use a token that is expired, revoked, tampered with or signed
for another purpose; sign in as a checkout user; flood holds from one IP with rotating
addresses, or from one address.

The defence: one allowlist for scoped principals (graphql/limits/manage_scope.py), checked
before anything runs; visibility scoped to the one reservation (reservations.visible_to);
tokens signed with their own audience and typ, checked against the reservation's
manage_token_version; checkout users refused by every sign-in path; booking rate limits per
IP and per address, and the per-guest hold limit per address."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.services.accounts.tokens import AccessTokens
from bookwell.services.booking.manage_tokens import ManageTokens
from tests.factories import in_days, make_listing
from tests.support.graphql_client import GraphQLClient, database_id
from tests.support.guest_checkout import (
    ALL,
    CANCEL,
    CHANGE,
    PAY,
    READ,
    REVOKE,
    checkout,
    checkout_listing,
    try_checkout,
)
from tests.support.lifespan import started

FORBIDDEN_OPERATIONS = {
    "createApiToken": 'mutation { createApiToken(name: "x") { token } }',
    "createReservation": """mutation($l: ID!) { createReservation(input: {listingId: $l,
        startDate: "2099-01-01", nights: 1}) { reservation { id } } }""",
    "createReview": """mutation($r: ID!) { createReview(input: {reservationId: $r, rating: 5})
        { review { id } } }""",
    "joinWaitlist": """mutation($l: ID!) { joinWaitlist(input: {listingId: $l,
        startDate: "2099-01-01", nights: 1}) { errors { code } } }""",
    "updateProfile": 'mutation { updateProfile(input: {name: "Mallory"}) { errors { code } } }',
    "me": "{ me { id email } }",
    "customers": "{ customers { totalCount } }",
    "myWaitlist": "{ myWaitlist { totalCount } }",
    "aliased": 'mutation { innocent: updateProfile(input: {name: "M"}) { errors { code } } }',
    "in a fragment": """query { ...Sneaky } fragment Sneaky on Query { me { email } }""",
    "beside an allowed field": """mutation($r: ID!) { cancelReservation(id: $r) {
        errors { code } } createApiToken(name: "x") { token } }""",
}


@pytest.fixture
async def two_bookings(client, db, host):
    """Two bookings of the same address on one listing: (listing, first, second)."""
    listing = await checkout_listing(db, host)
    first = await checkout(client, listing, "victim@example.com")
    second = await checkout(client, listing, "victim@example.com", start=in_days(30))
    return listing, first, second


async def status_of(db, global_id: str) -> str:
    async with db.read() as session:
        return await session.scalar(
            text("SELECT status FROM reservations WHERE id = :id"), {"id": database_id(global_id)}
        )


async def test_a_manage_token_sees_only_its_booking(client, two_bookings):
    listing, first, second = two_bookings
    token = first["manageToken"]
    other = second["reservation"]["id"]
    mine = first["reservation"]["id"]
    assert (await client(READ, {"id": other}, token=token)).data["reservation"] is None
    listed = (await client(ALL, token=token)).data["reservations"]
    assert listed["totalCount"] == 1
    assert [edge["node"]["id"] for edge in listed["edges"]] == [mine]
    nodes = await client(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [mine, other]}, token=token
    )
    assert nodes.data["nodes"] == [{"id": mine}, None]
    # A listing's reservations show nothing through a manage link (not even its own).
    nested = await client(
        "query($id: ID!) { listing(id: $id) { "
        "reservations { totalCount edges { node { id } } } } }",
        {"id": str(listing)},
        token=token,
    )
    assert nested.data["listing"]["reservations"] == {"totalCount": 0, "edges": []}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (CANCEL, lambda other: {"id": other}),
        (PAY, lambda other: {"id": other, "key": "pay-other"}),
        (
            CHANGE,
            lambda other: {"input": {"id": other, "startDate": str(in_days(50)), "nights": 1}},
        ),
        (REVOKE, lambda other: {"id": other}),
    ],
    ids=["cancel", "pay", "change", "revoke"],
)
async def test_a_manage_token_cannot_touch_another_booking_of_the_same_address(
    client, db, two_bookings, query, variables
):
    _, first, second = two_bookings
    other = second["reservation"]["id"]
    answer = await client(query, variables(other), token=first["manageToken"])
    assert answer.codes == ["NOT_FOUND"]
    assert answer.body["data"] is None  # refused before anything ran
    assert await status_of(db, other) == "PENDING"
    # The other booking's own token still works: nothing was revoked.
    still = await client(READ, {"id": other}, token=second["manageToken"])
    assert still.data["reservation"]["id"] == other


async def test_an_id_given_inline_or_as_a_bare_uuid_is_checked_too(client, db, two_bookings):
    _, first, second = two_bookings
    other = second["reservation"]
    inline = f'mutation {{ cancelReservation(id: "{other["id"]}") {{ errors {{ code }} }} }}'
    bare = f'mutation {{ cancelReservation(id: "{other["databaseId"]}") {{ errors {{ code }} }} }}'
    for query in (inline, bare):
        answer = await client(query, token=first["manageToken"])
        assert answer.codes == ["NOT_FOUND"], answer.body
    assert await status_of(db, other["id"]) == "PENDING"


@pytest.mark.parametrize("name", FORBIDDEN_OPERATIONS)
async def test_a_manage_token_cannot_act_as_its_user(client, db, two_bookings, name):
    listing, first, _ = two_bookings
    query = FORBIDDEN_OPERATIONS[name]
    variables = {"l": str(listing), "r": first["reservation"]["id"]}
    used = {key: value for key, value in variables.items() if f"${key}" in query}
    answer = await client(query, used, token=first["manageToken"])
    assert answer.codes == ["FORBIDDEN"], answer.body
    assert answer.body["data"] is None
    async with db.read() as session:
        tokens = await session.scalar(
            text(
                "SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id "
                "WHERE u.checkout"
            )
        )
        names = await session.scalar(
            text("SELECT count(*) FROM users WHERE checkout AND name LIKE 'M%'")
        )
    assert (tokens, names) == (0, 0)
    assert await status_of(db, first["reservation"]["id"]) == "PENDING"


def forged(settings: Settings, claims: dict, key: str | None = None) -> str:
    return jwt.encode(claims, key or settings.secret_key, algorithm="HS256")


async def test_expired_revoked_tampered_and_foreign_tokens_are_401(client, db, host, settings):
    listing = await checkout_listing(db, host)
    booked = await checkout(client, listing, "target@example.com")
    reservation_id = database_id(booked["reservation"]["id"])
    good = jwt.decode(booked["manageToken"], options={"verify_signature": False})
    assert good["typ"] == "manage" and good["ver"] == 0
    tokens = ManageTokens.like(
        AccessTokens(settings.secret_key, settings.jwt_issuer, settings.jwt_audience, None),
        grace_days=0,
    )
    [user_id] = [row async for row in _checkout_user_ids(db, "target@example.com")]
    bad = {
        "expired": tokens.issue(reservation_id, 0, date.today() - timedelta(days=3)),
        "tampered": booked["manageToken"][:-2]
        + ("AA" if booked["manageToken"][-2:] != "AA" else "BB"),
        "other key": forged(settings, good, key="another-key-that-is-long-enough-for-hs256"),
        "newer version": forged(settings, good | {"ver": 1}),
        "not a manage token": forged(settings, good | {"typ": "access"}),
        "access audience": forged(settings, good | {"aud": settings.jwt_audience}),
        "other reservation": forged(settings, good | {"sub": str(uuid.uuid4())}),
        "alg none": jwt.encode(good, None, algorithm="none"),
        # A well-signed access token for the checkout user: checkout users never sign in.
        "access token": AccessTokens(
            settings.secret_key,
            settings.jwt_issuer,
            settings.jwt_audience,
            timedelta(hours=1),
        ).issue(user_id),
    }
    for name, token in bad.items():
        answer = await client(READ, {"id": booked["reservation"]["id"]}, token=token)
        assert answer.status == 401, (name, answer.body)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), name


async def _checkout_user_ids(db, email: str) -> AsyncIterator[uuid.UUID]:
    async with db.read() as session:
        rows = await session.execute(
            text("SELECT id FROM users WHERE checkout AND lower(email) = :e"), {"e": email}
        )
        for row in rows:
            yield row.id


async def test_revoked_links_stop_at_once(client, db, host, host_token, settings):
    listing = await checkout_listing(db, host)
    booked = await checkout(client, listing, "revoke@example.com")
    rid = booked["reservation"]["id"]
    token = booked["manageToken"]

    # The guest revokes through the link itself: that link is dead afterwards.
    answer = await client(REVOKE, {"id": rid}, token=token)
    assert answer.data["revokeManageLink"]["errors"] == []
    assert (await client(READ, {"id": rid}, token=token)).status == 401

    # A replay answers the current (new) token, which the host can revoke in turn.
    async with db.read() as session:
        version = await session.scalar(
            text("SELECT manage_token_version FROM reservations WHERE id = :id"),
            {"id": database_id(rid)},
        )
    assert version == 1
    fresh = ManageTokens.like(
        AccessTokens(settings.secret_key, settings.jwt_issuer, settings.jwt_audience, None),
        grace_days=settings.manage_token_grace_days,
    ).issue(database_id(rid), 1, date.fromisoformat(booked["reservation"]["endDate"]))
    assert (await client(READ, {"id": rid}, token=fresh)).data["reservation"]["id"] == rid
    by_host = await client(REVOKE, {"id": rid}, token=host_token)
    assert by_host.data["revokeManageLink"]["errors"] == []
    assert (await client(READ, {"id": rid}, token=fresh)).status == 401


async def test_another_host_cannot_revoke(client, db, host, two_bookings):
    from bookwell.models import Role
    from tests.factories import make_token, make_user

    stranger = await make_user(db, Role.HOST)
    _, first, _ = two_bookings
    answer = await client(
        REVOKE, {"id": first["reservation"]["id"]}, token=await make_token(db, stranger)
    )
    assert answer.data["revokeManageLink"]["errors"] == [{"code": "NOT_FOUND"}]
    still = await client(READ, {"id": first["reservation"]["id"]}, token=first["manageToken"])
    assert still.data["reservation"] is not None


# --- floods ------------------------------------------------------------------------------


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator:
    """A client factory: each client calls from the IP it is given."""
    app = create_app(settings)
    async with started(app) as app, AsyncExitStack() as stack:

        async def client_from(ip: str) -> GraphQLClient:
            transport = httpx.ASGITransport(app=app, client=(ip, 40000))
            http = httpx.AsyncClient(transport=transport, base_url="http://test")
            return GraphQLClient(await stack.enter_async_context(http))

        yield client_from


async def test_one_ip_with_rotating_addresses_is_rate_limited(settings, db, host):
    limited = settings.model_copy(
        update={"booking_limit_per_ip": 3, "booking_limit_per_principal": 100}
    )
    listing = await checkout_listing(db, host, max_guest_holds=100, max_listing_holds=100)
    async with serving(limited) as client_from:
        client = await client_from("203.0.113.7")
        for n in range(3):
            await checkout(client, listing, f"rotating{n}@example.com", start=in_days(10 + 3 * n))
        answer = await try_checkout(client, listing, "rotating9@example.com", start=in_days(30))
        # Another IP still books.
        other = await client_from("203.0.113.8")
        await checkout(other, listing, "rotating9@example.com", start=in_days(30))
    assert answer.status == 429
    assert answer.codes == ["RATE_LIMITED"]


async def test_one_address_is_rate_limited_whatever_its_ip(settings, db, host):
    limited = settings.model_copy(
        update={"booking_limit_per_ip": 100, "booking_limit_per_principal": 2}
    )
    listing = await checkout_listing(db, host, max_guest_holds=100, max_listing_holds=100)
    async with serving(limited) as client_from:
        for n, ip in enumerate(("198.51.100.1", "198.51.100.2")):
            client = await client_from(ip)
            await checkout(client, listing, "same@example.com", start=in_days(10 + 3 * n))
        third = await client_from("198.51.100.3")
        answer = await try_checkout(third, listing, "SAME@example.com", start=in_days(30))
    assert answer.status == 429
    assert answer.codes == ["RATE_LIMITED"]


async def test_an_unknown_listing_and_a_closed_one_create_no_checkout_user(client, db, host):
    closed = await make_listing(db, host)
    for listing in (closed, uuid.uuid4()):
        answer = await try_checkout(client, listing, "probe@example.com")
        assert answer.codes == ["UNAUTHENTICATED"]
    async with db.read() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM users WHERE lower(email) = 'probe@example.com'")
        )
    assert count == 0


async def test_one_ips_unpaid_holds_are_capped_across_addresses_and_listings(settings, db, host):
    """Fresh email addresses cost nothing: without the cap one client could hold any number
    of units unpaid by rotating them. Counted under the address's lock, so a burst from one
    IP at once (over several listings) books exactly the cap."""
    capped = settings.model_copy(update={"checkout_unpaid_holds_per_ip": 3})
    listings = [
        await checkout_listing(db, host, max_guest_holds=100, max_listing_holds=100)
        for _ in range(3)
    ]
    async with serving(capped) as client_from:
        client = await client_from("203.0.113.50")
        burst = await asyncio.gather(
            *(
                try_checkout(
                    client, listings[n % 3], f"burst{n}@example.com", start=in_days(10 + n)
                )
                for n in range(8)
            )
        )
        other = await client_from("203.0.113.51")
        elsewhere = await try_checkout(other, listings[0], "other@example.com", start=in_days(40))
    booked = [a for a in burst if a.data["createReservation"]["errors"] == []]
    refused = [a.data["createReservation"]["errors"] for a in burst if a not in booked]
    assert len(booked) == 3
    assert all(errors[0]["code"] == "HOLD_LIMIT" for errors in refused), refused
    assert elsewhere.data["createReservation"]["errors"] == []
