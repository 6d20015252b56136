"""Sign-up, sign-in, bearer tokens and who may do what, through the real app."""

import base64
import json
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.core.ids import global_id
from tests.factories import make_listing, make_user
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

ME = "{ me { id role } }"
REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { accessToken user { id role email } errors { code field message } }
}"""
LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) { accessToken user { id } errors { code field message } }
}"""
API_TOKEN = "mutation($name: String!) { createApiToken(name: $name) { token errors { code } } }"
CREATE_LISTING = """mutation($input: CreateListingInput!) {
  createListing(input: $input) { listing { id title } errors { code field } }
}"""
LISTINGS = "{ listings { totalCount } }"
PASSWORD = "correct horse battery"


async def register(client, email: str, **fields):
    variables = {"input": {"email": email, "password": PASSWORD, "name": "Ann", **fields}}
    return (await client(REGISTER, variables)).data["register"]


@asynccontextmanager
async def app_client(settings):
    app = create_app(settings)
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)


def assert_unauthenticated(answer) -> None:
    assert answer.status == 401, answer.body
    assert answer.codes == ["UNAUTHENTICATED"], answer.body


# --- register and login ---------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [(None, "GUEST"), ("HOST", "HOST")])
async def test_register_returns_a_working_access_token(client, role, expected):
    extra = {"role": role} if role else {}
    payload = await register(client, "new@example.com", **extra)
    assert payload["errors"] == []
    assert payload["user"]["role"] == expected
    me = (await client(ME, token=payload["accessToken"])).data["me"]
    assert me == {"id": payload["user"]["id"], "role": expected}


async def test_register_as_admin_is_forbidden(client, db):
    payload = await register(client, "boss@example.com", role="ADMIN")
    assert payload["accessToken"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("FORBIDDEN", ["input", "role"])
    ]
    async with db.read() as session:
        count = await session.execute(text("SELECT count(*) FROM users WHERE role = 'ADMIN'"))
        assert count.scalar_one() == 0


async def test_register_duplicate_email_ignores_case(client):
    assert (await register(client, "Ann@Example.com"))["errors"] == []
    payload = await register(client, "ann@example.COM")
    assert payload["accessToken"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("EMAIL_TAKEN", ["input", "email"])
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@@example.com"}, "email"),
        ({"name": "   "}, "name"),
    ],
)
async def test_register_invalid_input(client, fields, field):
    variables = {"input": {"email": "ok@example.com", "password": PASSWORD, "name": "Ann"}}
    variables["input"].update(fields)
    payload = (await client(REGISTER, variables)).data["register"]
    assert payload["accessToken"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", ["input", field])
    ]


async def test_login(client):
    user_id = (await register(client, "Lou@Example.com"))["user"]["id"]
    ok = await client(LOGIN, {"input": {"email": "lou@example.com", "password": PASSWORD}})
    token = ok.data["login"]["accessToken"]
    assert ok.data["login"]["user"]["id"] == user_id
    assert (await client(ME, token=token)).data["me"]["id"] == user_id

    wrong = await client(LOGIN, {"input": {"email": "lou@example.com", "password": "nope1234"}})
    unknown = await client(LOGIN, {"input": {"email": "who@example.com", "password": PASSWORD}})
    failures = [wrong.data["login"], unknown.data["login"]]
    for payload in failures:
        assert payload["accessToken"] is None and payload["user"] is None
        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
    assert failures[0]["errors"][0]["message"] == failures[1]["errors"][0]["message"]


async def test_passwords_are_stored_as_argon2id(client, db):
    await register(client, "hash@example.com")
    async with db.read() as session:
        query = text("SELECT password_hash FROM users WHERE email = 'hash@example.com'")
        stored = (await session.execute(query)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


# --- JWT access tokens ----------------------------------------------------------------------


def _claims(user_id, **changes):
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iss": "bookwell", "aud": "bookwell-api", "iat": now}
    claims["exp"] = now + timedelta(hours=1)
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _unsigned(claims) -> str:
    def part(value) -> str:
        raw = json.dumps(value, default=lambda d: int(d.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_a_well_formed_jwt_authenticates(client, settings, guest):
    token = jwt.encode(_claims(guest.user_id), settings.secret_key, algorithm="HS256")
    assert (await client(ME, token=token)).data["me"]["id"] == global_id("User", guest.user_id)


OTHER_KEY = "another-key-that-is-long-enough-for-hs256"
# name: (claim changes, signing key (None: the app's), algorithm ("none": unsigned))
BAD_JWTS = {
    "expired": ({"exp": datetime.now(UTC) - timedelta(minutes=5)}, None, "HS256"),
    "wrong-audience": ({"aud": "someone-else"}, None, "HS256"),
    "wrong-issuer": ({"iss": "evil"}, None, "HS256"),
    "wrong-key": ({}, OTHER_KEY, "HS256"),
    "other-algorithm": ({}, None, "HS512"),
    "alg-none": ({}, None, "none"),
    "no-exp": ({"exp": None}, None, "HS256"),
    "sub-not-a-uuid": ({"sub": "nope"}, None, "HS256"),
}


@pytest.mark.filterwarnings("ignore:The HMAC key")
@pytest.mark.parametrize("case", BAD_JWTS)
async def test_bad_jwt_is_401(client, settings, guest, case):
    changes, key, algorithm = BAD_JWTS[case]
    claims = _claims(guest.user_id, **changes)
    if algorithm == "none":
        token = _unsigned(claims)
    else:
        token = jwt.encode(claims, key or settings.secret_key, algorithm=algorithm)
    answer = await client(LISTINGS, token=token)
    assert_unauthenticated(answer)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


async def test_jwt_for_unknown_or_deleted_user_is_401(client, db, settings):
    gone = await make_user(db)
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM users WHERE id = :id"), {"id": gone.user_id})
    for user_id in (gone.user_id, uuid.uuid4()):
        token = jwt.encode(_claims(user_id), settings.secret_key, algorithm="HS256")
        assert_unauthenticated(await client(ME, token=token))


# --- API tokens and the Authorization header ------------------------------------------------


async def test_api_token_is_a_uuid_stored_only_as_hash(client, db, guest, guest_token):
    payload = (await client(API_TOKEN, {"name": "laptop"}, token=guest_token)).data
    token = payload["createApiToken"]["token"]
    assert payload["createApiToken"]["errors"] == []
    assert str(uuid.UUID(token)) == token
    assert (await client(ME, token=token)).data["me"]["id"] == global_id("User", guest.user_id)

    async with db.read() as session:
        query = text("SELECT * FROM api_tokens WHERE name = 'laptop'")
        row = (await session.execute(query)).mappings().one()
    assert row["user_id"] == guest.user_id
    assert len(row["token_hash"]) == 32
    secret = uuid.UUID(token)
    forms = (token, secret.hex, token.upper())
    for value in row.values():
        if isinstance(value, bytes):
            assert secret.bytes not in value
            assert not any(form.encode() in value for form in forms)
        else:
            assert not any(form in str(value) for form in forms)


@pytest.mark.parametrize(
    "header",
    ["garbage", "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Token {token}"],
)
async def test_bad_authorization_header_is_401_even_for_public_reads(client, guest_token, header):
    answer = await client(LISTINGS, headers={"Authorization": header.format(token=guest_token)})
    assert_unauthenticated(answer)
    assert answer.body["data"] is None


async def test_unknown_api_token_is_401(client):
    assert_unauthenticated(await client(LISTINGS, token=str(uuid.uuid4())))


# --- operations and principals --------------------------------------------------------------

LATER = (date.today() + timedelta(days=30)).isoformat()
LATER_PLUS_2 = (date.today() + timedelta(days=32)).isoformat()
NEEDS_PRINCIPAL = [
    (
        "mutation($l: ID!) { createReservation(input: {listingId: $l, startDate: "
        f'"{LATER}", nights: 2}}) {{ reservation {{ id }} }} }}'
    ),
    "query($l: ID!) { reservations(listingId: $l) { totalCount } }",
    'mutation { createListing(input: {title: "T", nightlyPrice: "1"}) { listing { id } } }',
    'mutation { createApiToken(name: "x") { token } }',
    "query($l: ID!) { reservation(id: $l) { id } }",
    "mutation($l: ID!) { cancelReservation(id: $l) { reservation { id } } }",
]


@pytest.mark.parametrize("query", NEEDS_PRINCIPAL)
async def test_operations_needing_a_principal_answer_401(client, db, host, query):
    listing_id = await make_listing(db, host)
    variables = {"l": str(listing_id)} if "$l" in query else {}
    assert_unauthenticated(await client(query, variables))


async def test_public_reads_need_no_token(client, db, host):
    listing_id = str(await make_listing(db, host, title="Open"))
    query = f"""query($id: ID!) {{
      me {{ id }}
      listings {{ totalCount }}
      listing(id: $id) {{ title }}
      availability(listingId: $id, startDate: "{LATER}", endDate: "{LATER_PLUS_2}") {{ freeUnits }}
    }}"""
    answer = await client(query, {"id": listing_id})
    assert answer.status == 200
    assert answer.data == {
        "me": None,
        "listings": {"totalCount": 1},
        "listing": {"title": "Open"},
        "availability": {"freeUnits": 1},
    }


async def test_only_hosts_create_listings(client, guest_token, host_token):
    variables = {"input": {"title": "Cabin", "nightlyPrice": "80.00"}}
    as_guest = (await client(CREATE_LISTING, variables, token=guest_token)).data["createListing"]
    assert as_guest["listing"] is None
    assert [e["code"] for e in as_guest["errors"]] == ["FORBIDDEN"]
    as_host = (await client(CREATE_LISTING, variables, token=host_token)).data["createListing"]
    assert as_host["errors"] == []
    assert as_host["listing"]["title"] == "Cabin"


async def test_private_api_mode(settings, db, host):
    await make_listing(db, host)
    async with app_client(settings.model_copy(update={"private_api": True})) as private:
        assert_unauthenticated(await private(LISTINGS))
        registered = await register(private, "priv@example.com")
        assert registered["errors"] == []
        login = {"input": {"email": "priv@example.com", "password": PASSWORD}}
        token = (await private(LOGIN, login)).data["login"]["accessToken"]
        assert token
        for bearer in (token, registered["accessToken"]):
            assert (await private(LISTINGS, token=bearer)).data == {"listings": {"totalCount": 1}}
