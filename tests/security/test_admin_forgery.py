"""Cross-site request forgery and framing of /admin: a page on another origin (a sibling
subdomain is "same-site", so SameSite=Lax sends the admin's cookie along) posted the user
form and changed a role; and any page could frame the admin (or GraphiQL) to trick clicks.
Every state-changing admin request needs the session's CSRF token, and a browser's
request from another origin is refused whatever it carries; no page of either may be framed."""

import re

import httpx
import pytest
from sqlalchemy import select

from bookwell.core.db import Database
from bookwell.flows import accounts as account_flows
from bookwell.models import ApiToken, Role, User
from tests.admin.conftest import ADMIN_PASSWORD, Seeded, client_of, sign_in
from tests.support.graphiql_assets import NO_REGISTRY

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token_in(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, page.text[:2000]
    return found.group(1)


async def _guest_role(db: Database, email: str) -> Role:
    async with db.read() as session:
        return (await session.execute(select(User.role).where(User.email == email))).scalar_one()


async def _guest_id(db: Database, email: str):
    async with db.read() as session:
        return (await session.execute(select(User.id).where(User.email == email))).scalar_one()


FORGED = [
    ({}, None),  # a plain form post without the token (any client)
    ({"Origin": "https://evil.example"}, None),
    ({"Origin": "http://evil.test"}, "token"),  # a sibling origin, even with a valid token
    ({"Origin": "null"}, "token"),  # a sandboxed frame or a data: URL
    ({"Sec-Fetch-Site": "same-site"}, "token"),
    ({"Sec-Fetch-Site": "cross-site"}, "token"),
    ({"Referer": "http://evil.test/page"}, "token"),
    ({"Origin": "http://test"}, "wrong"),
    ({"Origin": "http://test"}, ""),
]


@pytest.mark.parametrize(("headers", "token"), FORGED)
async def test_a_forged_post_cannot_change_a_role(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database, headers, token
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    guest = await _guest_id(db, seeded.guest_email)
    edit = await admin_client.get(f"/admin/user/edit/{guest}")
    form = {"name": "Pwned", "role": "ADMIN", "save": "Save"}
    if token == "token":
        form["csrf_token"] = token_in(edit)
    elif token is not None:
        form["csrf_token"] = token
    answer = await admin_client.post(f"/admin/user/edit/{guest}", data=form, headers=headers)
    assert answer.status_code == 403, answer.text
    assert await _guest_role(db, seeded.guest_email) is Role.GUEST


async def test_the_admins_own_form_still_works(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    guest = await _guest_id(db, seeded.guest_email)
    edit = await admin_client.get(f"/admin/user/edit/{guest}")
    form = {"name": "Gus", "role": "HOST", "save": "Save", "csrf_token": token_in(edit)}
    headers = {"Origin": "http://test", "Sec-Fetch-Site": "same-origin"}
    answer = await admin_client.post(f"/admin/user/edit/{guest}", data=form, headers=headers)
    assert answer.status_code == 302, answer.text
    assert await _guest_role(db, seeded.guest_email) is Role.HOST


async def test_a_forged_sign_in_is_refused(admin_client: httpx.AsyncClient, seeded: Seeded):
    form = {"username": seeded.admin_email, "password": ADMIN_PASSWORD}
    answer = await admin_client.post("/admin/login", data=form)
    assert answer.status_code == 403
    page = await admin_client.get("/admin/login")
    cross = await admin_client.post(
        "/admin/login",
        data={**form, "csrf_token": token_in(page)},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert (await admin_client.get("/admin/")).status_code == 302  # not signed in


@pytest.mark.parametrize("path", ["/admin/login", "/admin/", "/admin/user/list"])
async def test_no_admin_page_may_be_framed(
    admin_client: httpx.AsyncClient, seeded: Seeded, path: str
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    answer = await admin_client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "assets",
    [{"graphiql_assets": "cdn"}, {"graphiql_npm_registry": NO_REGISTRY}],
    ids=["served", "unavailable"],
)
async def test_graphiql_may_not_be_framed(settings, assets):
    async with client_of(settings.model_copy(update=assets)) as http:
        answer = await http.get("/graphql", headers={"Accept": "text/html"})
    assert answer.status_code in (200, 503)
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


async def _live_tokens(db: Database, user_id) -> list:
    async with db.read() as session:
        found = await session.execute(
            select(ApiToken.id).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        )
        return list(found.scalars())


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Referer": "http://evil.test/page"},
        {"Origin": "https://evil.example"},
    ],
)
async def test_a_link_on_another_site_cannot_run_an_admin_action(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database, headers
):
    """sqladmin runs list actions (revoking API tokens) on GET: a link elsewhere could."""
    guest = await _guest_id(db, seeded.guest_email)
    await account_flows.create_api_token(db, user_id=guest, name="script")
    (token_id,) = await _live_tokens(db, guest)
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    url = f"/admin/api-token/action/revoke?pks={token_id}"
    answer = await admin_client.get(url, headers=headers)
    assert answer.status_code == 403, answer.text
    assert await _live_tokens(db, guest) == [token_id]
    own = await admin_client.get(url, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status_code in (200, 302, 303)
    assert await _live_tokens(db, guest) == []
