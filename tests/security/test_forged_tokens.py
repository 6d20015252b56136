"""Forged and stale credentials: JWTs an attacker builds without the signing key (alg none,
RS256/HS256 confusion, keys named by kid/jku/x5u/jwk headers, a signature cut, emptied or
moved to other claims), JWTs past or before their time, for the wrong audience, issuer or a
deleted user, and API tokens revoked, expired or altered; and a token far too large. Each
answers 401 UNAUTHENTICATED and not one field of data. (The review's 20 variants, and more.)"""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text

from bookwell.services.accounts.tokens import hash_api_token
from tests.factories import make_token, make_user

# `me` and a private list: what a forged token would be for.
PRIVATE = "{ me { id email role } reservations(first: 5) { totalCount } }"
ATTACKER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_PEM = ATTACKER_RSA.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _part(value: dict) -> str:
    return _b64(json.dumps(value, default=lambda d: int(d.timestamp())).encode())


def _claims(user_id, **changes):
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iss": "bookwell", "aud": "bookwell-api", "iat": now}
    claims["exp"] = now + timedelta(hours=1)
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _hmac_signed(header: dict, claims: dict, key: bytes, digest=hashlib.sha256) -> str:
    """Signed by hand, whatever the header says (PyJWT refuses to write some of these)."""
    signing_input = f"{_part(header)}.{_part(claims)}"
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def _rsa_signed(claims: dict, **headers) -> str:
    return jwt.encode(claims, ATTACKER_PEM, algorithm="RS256", headers=headers)


def _forge(case: str, key: str, user_id) -> str:
    claims = _claims(user_id)
    secret = key.encode()
    good = jwt.encode(claims, key, algorithm="HS256")
    head, body, signature = good.split(".")
    now = datetime.now(UTC)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(ATTACKER_RSA.public_key()))
    match case:
        case "alg-none":
            return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}."
        case "alg-None-capitalised":
            return f"{_part({'alg': 'None', 'typ': 'JWT'})}.{_part(claims)}."
        case "alg-none-with-the-real-signature":
            return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{body}.{signature}"
        case "alg-confusion-rs256-header-hmac-signature":
            return _hmac_signed({"alg": "RS256", "typ": "JWT"}, claims, secret)
        case "alg-hs512-with-the-key":
            return _hmac_signed({"alg": "HS512", "typ": "JWT"}, claims, secret, hashlib.sha512)
        case "rs256-attackers-key-in-jwk-header":
            return _rsa_signed(claims, jwk=public_jwk)
        case "rs256-jku-to-attackers-keys":
            return _rsa_signed(claims, jku="https://evil.example/jwks.json", kid="evil")
        case "rs256-x5u-to-attackers-cert":
            return _rsa_signed(claims, x5u="https://evil.example/cert.pem")
        case "kid-path-traversal-empty-key":
            return _hmac_signed({"alg": "HS256", "kid": "../../../../dev/null"}, claims, b"")
        case "kid-sql-injection":
            header = {"alg": "HS256", "kid": "x' UNION SELECT 'k' --"}
            return _hmac_signed(header, claims, b"k")
        case "wrong-key":
            return jwt.encode(claims, "an-attackers-own-key-of-thirty-two-bytes!", "HS256")
        case "expired":
            return jwt.encode(_claims(user_id, exp=now - timedelta(minutes=5)), key, "HS256")
        case "no-exp":
            return jwt.encode(_claims(user_id, exp=None), key, "HS256")
        case "nbf-in-the-future":
            return jwt.encode(_claims(user_id, nbf=now + timedelta(hours=1)), key, "HS256")
        case "iat-in-the-future":
            return jwt.encode(_claims(user_id, iat=now + timedelta(hours=1)), key, "HS256")
        case "wrong-audience":
            return jwt.encode(_claims(user_id, aud="someone-else"), key, "HS256")
        case "wrong-issuer":
            return jwt.encode(_claims(user_id, iss="evil"), key, "HS256")
        case "sub-not-a-uuid":
            return jwt.encode(_claims(user_id, sub="admin"), key, "HS256")
        case "empty-signature":
            return f"{head}.{body}."
        case "truncated-signature":
            return f"{head}.{body}.{signature[:-4]}"
        case "truncated-token":
            return good[: len(good) // 2]
        case "signature-moved-to-other-claims":
            other = _part({**claims, "sub": str(uuid.uuid4())})
            return f"{head}.{other}.{signature}"
        case "oversized":
            padded = _claims(user_id, pad="A" * 200_000)
            return jwt.encode(padded, "not-the-key-" + "x" * 40, "HS256")
    raise AssertionError(case)


FORGERIES = [
    "alg-none",
    "alg-None-capitalised",
    "alg-none-with-the-real-signature",
    "alg-confusion-rs256-header-hmac-signature",
    "alg-hs512-with-the-key",
    "rs256-attackers-key-in-jwk-header",
    "rs256-jku-to-attackers-keys",
    "rs256-x5u-to-attackers-cert",
    "kid-path-traversal-empty-key",
    "kid-sql-injection",
    "wrong-key",
    "expired",
    "no-exp",
    "nbf-in-the-future",
    "iat-in-the-future",
    "wrong-audience",
    "wrong-issuer",
    "sub-not-a-uuid",
    "empty-signature",
    "truncated-signature",
    "truncated-token",
    "signature-moved-to-other-claims",
    "oversized",
]


def assert_refused(answer) -> None:
    assert answer.status == 401, (answer.status, answer.body)
    assert answer.codes == ["UNAUTHENTICATED"], answer.body
    assert answer.body.get("data") is None, answer.body


@pytest.mark.filterwarnings("ignore:The HMAC key")
@pytest.mark.parametrize("case", FORGERIES)
async def test_a_forged_jwt_is_401_with_no_data(client, settings, guest, case):
    # The real token works (else a refusal proves nothing).
    real = jwt.encode(_claims(guest.user_id), settings.secret_key, algorithm="HS256")
    assert (await client(PRIVATE, token=real)).data["me"]["role"] == "GUEST"
    assert_refused(await client(PRIVATE, token=_forge(case, settings.secret_key, guest.user_id)))


async def test_a_jwt_of_a_deleted_user_is_401(client, db, settings, guest):
    gone = await make_user(db)
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM users WHERE id = :id"), {"id": gone.user_id})
    for user_id, works in ((guest.user_id, True), (gone.user_id, False), (uuid.uuid4(), False)):
        answer = await client(
            PRIVATE, token=jwt.encode(_claims(user_id), settings.secret_key, "HS256")
        )
        if works:
            assert answer.data["me"]["id"], answer.body
        else:
            assert_refused(answer)


@pytest.mark.parametrize("state", ["revoked", "expired", "altered", "unknown"])
async def test_a_stale_or_altered_api_token_is_401(client, db, guest, state):
    token = await make_token(db, guest)
    fresh = await make_token(db, guest)  # works: the refusal is the token's, not the user's
    if state in ("revoked", "expired"):
        column = (
            "revoked_at = now()"
            if state == "revoked"
            else "expires_at = now() - interval '1 second'"
        )
        async with db.transaction() as session:
            await session.execute(
                text(f"UPDATE api_tokens SET {column} WHERE token_hash = :hash"),
                {"hash": hash_api_token(uuid.UUID(token))},
            )
    elif state == "altered":
        token = token[:-1] + ("0" if token[-1] != "0" else "1")
    else:
        token = str(uuid.uuid4())
    assert_refused(await client(PRIVATE, token=token))
    assert (await client(PRIVATE, token=fresh)).data["me"]["role"] == "GUEST"
