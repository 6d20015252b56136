"""The admin over HTTP: who gets in, what each list shows, and that search and filters
narrow it."""

import httpx
from sqlalchemy import select, update

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.models import Role, User
from tests.admin.conftest import (
    ADMIN_PASSWORD,
    GUEST_PASSWORD,
    Seeded,
    client_of,
    csrf_token,
    sign_in,
)


async def test_signed_out_visitors_are_sent_to_the_login_page(admin_client: httpx.AsyncClient):
    for path in ("/admin/", "/admin/reservation/list", "/admin/user/details/x"):
        answer = await admin_client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["location"] == "http://test/admin/login"
    page = await admin_client.get("/admin/login")
    assert page.status_code == 200
    assert 'name="username" type="email"' in page.text


async def test_guests_and_wrong_passwords_get_the_login_page_again(
    admin_client: httpx.AsyncClient, seeded: Seeded
):
    for email, password in (
        (seeded.guest_email, GUEST_PASSWORD),  # right password, not an admin
        (seeded.admin_email, "not-the-password"),
        ("nobody@example.com", ADMIN_PASSWORD),
    ):
        answer = await sign_in(admin_client, email, password)
        assert answer.status_code == 400
        assert "Wrong email or password, or not an admin account." in answer.text
        assert "set-cookie" not in answer.headers
        assert (await admin_client.get("/admin/user/list")).status_code == 302


async def test_an_admin_signs_in_and_out(admin_client: httpx.AsyncClient, seeded: Seeded):
    """The cookie's attributes and what it refuses: test_session_cookie.py."""
    answer = await sign_in(admin_client, seeded.admin_email.upper(), ADMIN_PASSWORD)
    assert answer.status_code == 302
    assert answer.headers["location"] == "http://test/admin/"
    assert answer.headers["set-cookie"].startswith("bookwell_admin=")
    assert (await admin_client.get("/admin/")).status_code == 200

    assert (await admin_client.get("/admin/logout")).status_code == 302
    assert "bookwell_admin" not in admin_client.cookies
    assert (await admin_client.get("/admin/")).status_code == 302


async def test_sign_in_attempts_are_rate_limited_per_account(settings: Settings, seeded: Seeded):
    async with client_of(settings.model_copy(update={"login_limit_per_account": 2})) as http:
        for _ in range(2):
            assert (await sign_in(http, seeded.admin_email, "wrong-password")).status_code == 400
        refused = await sign_in(http, seeded.admin_email.upper(), ADMIN_PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert (await http.get("/admin/")).status_code == 302  # not signed in
        # Another account from the same client is still let in.
        assert (await sign_in(http, seeded.guest_email, GUEST_PASSWORD)).status_code == 400


async def test_an_admin_who_is_demoted_is_out_at_the_next_request(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    assert (await admin_client.get("/admin/user/list")).status_code == 200
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == seeded.admin_id).values(role=Role.HOST))
    answer = await admin_client.get("/admin/user/list")
    assert answer.status_code == 302
    assert answer.headers["location"] == "http://test/admin/login"


async def test_every_list_shows_the_seeded_rows(admin_client: httpx.AsyncClient, seeded: Seeded):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    expected = {
        "user": ["Ada Admin", "Gus Guest", "Hannah Host", seeded.guest_email],
        "listing": ["Seaside Loft", "Mountain Cabin", "Lisbon", "Chamonix"],
        "reservation": ["Zelda Quartz", "Yannick Ortolan", "PENDING", "CANCELLED"],
        "outbox-message": ["reservation.created", "reservation.cancelled"],
    }
    for identity, texts in expected.items():
        page = await admin_client.get(f"/admin/{identity}/list")
        assert page.status_code == 200, identity
        for text in texts:
            assert text in page.text, (identity, text)
    newest_first = (await admin_client.get("/admin/reservation/list")).text
    assert newest_first.index("Yannick Ortolan") < newest_first.index("Zelda Quartz")
    users = (await admin_client.get("/admin/user/list")).text
    details = (await admin_client.get(f"/admin/user/details/{seeded.admin_id}")).text
    edit = (await admin_client.get(f"/admin/user/edit/{seeded.admin_id}")).text
    for page in (users, details, edit):
        assert "argon2" not in page and "Password Hash" not in page
    assert 'name="role"' in edit and 'name="password' not in edit


async def test_search_and_filters_narrow_the_lists(admin_client: httpx.AsyncClient, seeded: Seeded):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)

    async def page(path: str, **params: str) -> str:
        answer = await admin_client.get(path, params=params)
        assert answer.status_code == 200, (path, params)
        return answer.text

    found = await page("/admin/reservation/list", search="zelda")
    assert "Zelda Quartz" in found and "Yannick Ortolan" not in found
    found = await page("/admin/reservation/list", search=str(seeded.yannick_id)[-12:])
    assert "Yannick Ortolan" in found and "Zelda Quartz" not in found
    found = await page("/admin/reservation/list", status="CANCELLED")
    assert "Yannick Ortolan" in found and "Zelda Quartz" not in found
    found = await page("/admin/reservation/list", listing_id=str(seeded.loft_id))
    assert "Zelda Quartz" in found and "Yannick Ortolan" not in found
    found = await page("/admin/reservation/list", sortBy="start_date", sort="desc")
    assert found.index("Yannick Ortolan") < found.index("Zelda Quartz")

    found = await page("/admin/user/list", role="HOST")
    assert "Hannah Host" in found and "Gus Guest" not in found
    found = await page("/admin/user/list", search="gus")
    assert "Gus Guest" in found and "Ada Admin" not in found

    found = await page("/admin/listing/list", search="lisbon")
    assert "Seaside Loft" in found and "Mountain Cabin" not in found
    found = await page("/admin/listing/list", country="FR")
    assert "Mountain Cabin" in found and "Seaside Loft" not in found

    found = await page("/admin/outbox-message/list", event="reservation.cancelled")
    assert found.count(str(seeded.yannick_id)) >= 1 and str(seeded.zelda_id) not in found
    found = await page("/admin/outbox-message/list", delivery="undelivered")
    assert str(seeded.yannick_id) in found and str(seeded.zelda_id) not in found
    found = await page("/admin/outbox-message/list", delivery="delivered")
    assert str(seeded.zelda_id) in found and str(seeded.yannick_id) not in found


async def test_reservations_listings_and_the_outbox_cannot_be_changed(
    admin_client: httpx.AsyncClient, seeded: Seeded
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    pk = seeded.zelda_id
    for method, path in (
        ("GET", "/admin/reservation/create"),
        ("POST", f"/admin/reservation/edit/{pk}"),
        ("DELETE", f"/admin/reservation/delete?pks={pk}"),
        ("GET", f"/admin/listing/edit/{seeded.loft_id}"),
        ("GET", "/admin/outbox-message/create"),
        ("GET", "/admin/user/create"),
        ("DELETE", f"/admin/user/delete?pks={seeded.admin_id}"),
    ):
        answer = await admin_client.request(method, path)
        assert answer.status_code == 403, (method, path)
    details = await admin_client.get(f"/admin/reservation/details/{pk}")
    assert details.status_code == 200 and "Zelda Quartz" in details.text


async def test_an_admin_renames_a_user_and_changes_the_role(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    async with db.read() as session:
        before = (
            await session.execute(
                select(User.id, User.password_hash).where(User.email == seeded.guest_email)
            )
        ).one()
    answer = await admin_client.post(
        f"/admin/user/edit/{before.id}",
        data={
            "name": "Gus Renamed",
            "role": "HOST",
            "password_hash": "x",
            "save": "Save",
            "csrf_token": await csrf_token(admin_client, f"/admin/user/edit/{before.id}"),
        },
    )
    assert answer.status_code == 302, answer.text
    async with db.read() as session:
        after = (
            await session.execute(
                select(User.name, User.role, User.password_hash).where(User.id == before.id)
            )
        ).one()
    assert (after.name, after.role) == ("Gus Renamed", Role.HOST)
    assert after.password_hash == before.password_hash
