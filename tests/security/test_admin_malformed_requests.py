"""Malformed requests to /admin from signed-in staff: a NUL byte in `?search=` (PostgreSQL
refuses it in text: asyncpg raised, 500) and a primary key that is no UUID in
/admin/*/details|edit/<pk> (its conversion raised ValueError, 500). Bad input answers 400,
an id that names nothing 404, and a well-formed search still finds its rows."""

import uuid

import httpx
import pytest

from tests.admin.conftest import ADMIN_PASSWORD, Seeded, sign_in

VIEWS = ["user", "listing", "reservation", "outbox-message", "api-token"]
BAD_SEARCHES = ["\x00", "Zelda\x00", "a\x00b" * 10]
BAD_PKS = [
    "not-a-uuid",
    "99999999999999999999999",  # past bigint (the outbox's key is a number)
    "-1.5",
    "%00",
    "00000000-0000-0000-0000-00000000000g",
    "' OR 1=1 --",
    "x" * 300,
]


@pytest.fixture
async def staff(admin_client: httpx.AsyncClient, seeded: Seeded) -> httpx.AsyncClient:
    assert (await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)).status_code in (
        200,
        302,
        303,
    )
    return admin_client


@pytest.mark.parametrize("view", VIEWS)
async def test_a_nul_in_the_search_is_bad_input(staff, view):
    for term in BAD_SEARCHES:
        page = await staff.get(f"/admin/{view}/list", params={"search": term})
        assert page.status_code == 400, (term, page.status_code, page.text[:300])


async def test_a_search_without_nul_still_finds_rows(staff):
    page = await staff.get("/admin/reservation/list", params={"search": "Zelda"})
    assert page.status_code == 200
    assert "Zelda Quartz" in page.text and "Yannick Ortolan" not in page.text


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("page", ["details", "edit"])
async def test_an_unparsable_id_is_not_found(staff, view, page):
    for pk in [*BAD_PKS, str(uuid.uuid4())]:
        answer = await staff.get(f"/admin/{view}/{page}/{pk}")
        assert answer.status_code in (403, 404) if page == "edit" else answer.status_code == 404, (
            pk,
            answer.status_code,
        )
        assert answer.status_code < 500


async def test_an_existing_id_is_still_shown(staff, seeded):
    page = await staff.get(f"/admin/reservation/details/{seeded.zelda_id}")
    assert page.status_code == 200 and "Zelda Quartz" in page.text
