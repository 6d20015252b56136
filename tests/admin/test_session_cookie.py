"""The admin's session cookie (Starlette's SessionMiddleware) through the app: its attributes,
and the cookies it refuses: forged, signed with another key, or from a sign-in too old."""

import base64
import json
import time

import httpx
from itsdangerous import TimestampSigner

from bookwell.admin.auth import SESSION_SECONDS, session_key
from bookwell.core.config import Settings
from bookwell.core.db import secret_key
from tests.admin.conftest import ADMIN_PASSWORD, Seeded, client_of, sign_in


def _cookie(session: dict, key: str, signed_ago: int = 0) -> str:
    """A cookie as SessionMiddleware writes one, signed `signed_ago` seconds ago."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - signed_ago

    data = base64.b64encode(json.dumps(session).encode())
    return Signer(key).sign(data).decode()


async def _home_with(http: httpx.AsyncClient, cookie: str) -> httpx.Response:
    http.cookies.clear()
    return await http.get("/admin/", headers={"cookie": f"bookwell_admin={cookie}"})


def _flip(text: str) -> str:
    """Another first character (a base64 text's first holds no padding bits)."""
    return ("B" if text[0] == "A" else "A") + text[1:]


def _attributes(set_cookie: str) -> set[str]:
    return {part.strip().lower() for part in set_cookie.split(";")[1:]}


async def test_the_cookie_is_http_only_lax_under_admin_and_secure_outside_development(
    settings: Settings, seeded: Seeded
):
    for environment, secure in (("development", False), ("production", True)):
        # A Secure cookie comes back over https only (the sign-in form's CSRF token is in it).
        changed = settings.model_copy(update={"environment": environment})
        async with client_of(changed, "https://test" if secure else "http://test") as http:
            answer = await sign_in(http, seeded.admin_email, ADMIN_PASSWORD)
        assert answer.status_code == 302, environment
        header = answer.headers["set-cookie"]
        assert header.startswith("bookwell_admin="), header
        attributes = _attributes(header)
        assert {"httponly", "samesite=lax", "path=/admin", "max-age=28800"} <= attributes
        assert ("secure" in attributes) is secure, environment


async def test_forged_or_foreign_cookies_are_no_session(
    admin_client: httpx.AsyncClient, settings: Settings, seeded: Seeded
):
    key = session_key(secret_key(settings))
    session = {"user_id": str(seeded.admin_id), "signed_in_at": int(time.time())}
    # The forging above is right: with the admin key, the same session gets in.
    assert (await _home_with(admin_client, _cookie(session, key))).status_code == 200

    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    data, signed_at, signature = admin_client.cookies["bookwell_admin"].split(".")
    other = base64.b64encode(json.dumps({**session, "user_id": "x"}).encode()).decode()
    for forged in (
        f"{other}.{signed_at}.{signature}",  # another session under the admin's signature
        f"{data}.{_flip(signed_at)}.{signature}",  # another time
        f"{data}.{signed_at}.{_flip(signature)}",
        _cookie(session, secret_key(settings)),  # the app's own secret (JWTs), not the derived key
        _cookie(session, "another-secret"),
        "not-a-cookie",
    ):
        answer = await _home_with(admin_client, forged)
        assert answer.status_code == 302, forged
        assert answer.headers["location"] == "http://test/admin/login"


async def test_a_sign_in_ends_after_eight_hours_even_if_its_cookie_was_signed_again(
    admin_client: httpx.AsyncClient, settings: Settings, seeded: Seeded
):
    key = session_key(secret_key(settings))
    now = int(time.time())
    fresh = {"user_id": str(seeded.admin_id), "signed_in_at": now}
    old_sign_in = {**fresh, "signed_in_at": now - SESSION_SECONDS - 5}
    assert (await _home_with(admin_client, _cookie(fresh, key, signed_ago=60))).status_code == 200
    # The signature too old (the browser would have dropped the cookie at Max-Age).
    stale = _cookie(fresh, key, signed_ago=SESSION_SECONDS + 5)
    assert (await _home_with(admin_client, stale)).status_code == 302
    # A fresh signature over an old sign-in (sqladmin's flash messages re-sign the cookie):
    # refused, and the session is cleared.
    answer = await _home_with(admin_client, _cookie(old_sign_in, key))
    assert answer.status_code == 302
    assert answer.headers["set-cookie"].startswith("bookwell_admin=null;")
    assert "expires=thu, 01 jan 1970 00:00:00 gmt" in _attributes(answer.headers["set-cookie"])
