"""Vouchers at /admin/voucher: staff make a code for a host, list, search and filter every
host's codes, change and delete them, each as the owner would through the API (the same
checks); a code some booking was made with is not deleted; bad input and forged requests
change nothing."""

from datetime import date
from urllib.parse import unquote_plus

import httpx
import pytest
from sqlalchemy import select, text

from bookwell.core.db import Database
from bookwell.flows import booking
from bookwell.models import Listing, Role, User
from bookwell.services.booking import reservations
from tests.admin.conftest import ADMIN_PASSWORD, Seeded, csrf_token, sign_in
from tests.factories import make_listing, make_user

FIELDS = {
    "kind": "PERCENT",
    "value": "",
    "valid_from": "",
    "valid_until": "",
    "usage_limit": "",
    "listing_ids": "",
    "active": "y",
    "save": "Save",
}


async def create(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    form = {**FIELDS, **fields, "csrf_token": await csrf_token(http, "/admin/voucher/create")}
    return await http.post("/admin/voucher/create", data=form)


async def edit(http: httpx.AsyncClient, voucher_id, **fields: str) -> httpx.Response:
    page = f"/admin/voucher/edit/{voucher_id}"
    form = {**FIELDS, **fields, "csrf_token": await csrf_token(http, page)}
    return await http.post(page, data=form)


async def delete(http: httpx.AsyncClient, voucher_id, token: str | None) -> httpx.Response:
    headers = {"X-CSRF-Token": token} if token is not None else {}
    return await http.delete(f"/admin/voucher/delete?pks={voucher_id}", headers=headers)


async def host_email(db: Database, seeded: Seeded) -> str:
    async with db.read() as session:
        owner = select(Listing.owner_id).where(Listing.id == seeded.loft_id).scalar_subquery()
        return (await session.execute(select(User.email).where(User.id == owner))).scalar_one()


async def vouchers(db: Database) -> list:
    async with db.read() as session:
        found = await session.execute(
            text(
                "SELECT id, code, kind, value, valid_from, valid_until, usage_limit, "
                "listing_ids, active FROM vouchers ORDER BY code"
            )
        )
        return list(found)


async def test_an_admin_makes_changes_and_deletes_a_hosts_voucher(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    host = await host_email(db, seeded)
    made = await create(
        admin_client,
        owner=host,
        code="SUMMER10",
        value="10",
        valid_from="2027-01-01T00:00:00+01:00",
        valid_until="2027-09-01T00:00:00+02:00",
        usage_limit="5",
        listing_ids=str(seeded.loft_id),
    )
    assert made.status_code == 302, made.text
    other = await create(admin_client, owner=host, code="FLAT25", kind="FIXED", value="25.00")
    assert other.status_code == 302, other.text
    flat, summer = await vouchers(db)
    assert (summer.code, summer.kind, str(summer.value), summer.usage_limit) == (
        "SUMMER10",
        "PERCENT",
        "10.00",
        5,
    )
    assert summer.listing_ids == [seeded.loft_id] and summer.active
    assert summer.valid_from.isoformat() == "2026-12-31T23:00:00+00:00"
    assert flat.listing_ids is None and str(flat.value) == "25.00"

    listed = await admin_client.get("/admin/voucher/list")
    assert "SUMMER10" in listed.text and "FLAT25" in listed.text
    searched = await admin_client.get("/admin/voucher/list?search=summer")
    assert "SUMMER10" in searched.text and "FLAT25" not in searched.text
    filtered = await admin_client.get("/admin/voucher/list?kind=FIXED")
    assert "FLAT25" in filtered.text and "SUMMER10" not in filtered.text

    form = await admin_client.get(f"/admin/voucher/edit/{summer.id}")
    assert "2027-08-31T22:00:00+00:00" in form.text and str(seeded.loft_id) in form.text
    changed = await edit(
        admin_client,
        summer.id,
        value="15",
        valid_from="2027-01-01T00:00:00+01:00",
        valid_until="",
        usage_limit="20",
        listing_ids=f"{seeded.loft_id}, {seeded.cabin_id}",
        active="",
    )
    assert changed.status_code == 302, changed.text
    _, summer = await vouchers(db)
    assert (summer.code, str(summer.value), summer.valid_until, summer.usage_limit) == (
        "SUMMER10",
        "15.00",
        None,
        20,
    )
    assert sorted(summer.listing_ids) == sorted([seeded.loft_id, seeded.cabin_id])
    assert summer.active is False

    token = await csrf_token(admin_client, "/admin/voucher/create")
    removed = await delete(admin_client, flat.id, token)
    assert removed.status_code == 200 and "error" not in removed.text, removed.text
    assert [row.code for row in await vouchers(db)] == ["SUMMER10"]


async def test_a_voucher_bookings_were_made_with_is_not_deleted(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    await create(admin_client, owner=await host_email(db, seeded), code="USED", value="10")
    (used,) = await vouchers(db)
    guest = await make_user(db, Role.GUEST)
    await booking.book(
        db,
        guest=guest,
        data=reservations.NewReservation(
            listing_id=seeded.cabin_id, start_date=date(2027, 5, 1), nights=2, voucher_code="USED"
        ),
    )
    token = await csrf_token(admin_client, "/admin/voucher/create")
    refused = await delete(admin_client, used.id, token)
    assert "deactivate it instead" in unquote_plus(refused.text)
    assert [row.id for row in await vouchers(db)] == [used.id]


BAD = [
    ({"value": "150"}, "A percentage is at most 100"),
    ({"value": "1.234"}, "2 decimals at most"),
    ({"value": "0"}, "value is above 0"),
    ({"value": "ten"}, "not a decimal number"),
    ({"value": "Infinity"}, "not a decimal number"),
    ({"value": "10", "code": "no spaces"}, "A code has 3 to 50"),
    ({"value": "10", "usage_limit": "0"}, "usageLimit is at least 1"),
    ({"value": "10", "usage_limit": "many"}, "Not a valid integer value"),
    (
        {
            "value": "10",
            "valid_from": "2027-06-01T00:00:00+00:00",
            "valid_until": "2027-05-01T00:00:00+00:00",
        },
        "validUntil must be after validFrom",
    ),
    ({"value": "10", "valid_from": "2027-06-01T00:00:00"}, "with its offset"),
    ({"value": "10", "listing_ids": "not-an-id"}, "not an id"),
    ({"value": "10", "owner": "nobody@example.com"}, "no such user"),
]


@pytest.mark.parametrize(("fields", "why"), BAD)
async def test_bad_input_is_refused_with_nothing_written(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database, fields, why
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    form = {"owner": await host_email(db, seeded), "code": "CODE10", **fields}
    answer = await create(admin_client, **form)
    assert answer.status_code == 400
    assert why in answer.text
    assert await vouchers(db) == []


async def test_the_owners_rules_apply_and_a_bad_edit_changes_nothing(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    host = await host_email(db, seeded)
    stranger = await make_user(db, Role.HOST)
    theirs = await make_listing(db, stranger)
    not_theirs = await create(
        admin_client, owner=host, code="MINE", value="10", listing_ids=str(theirs)
    )
    assert not_theirs.status_code == 400 and "No listing with that id" in not_theirs.text
    guest = await create(admin_client, owner=seeded.guest_email, code="GUEST", value="10")
    assert guest.status_code == 400 and "Vouchers are for hosts" in guest.text
    assert await vouchers(db) == []

    await create(admin_client, owner=host, code="TWICE", value="10")
    twice = await create(admin_client, owner=host, code="twice", value="5")
    assert twice.status_code == 400 and "already have a voucher with this code" in twice.text
    (before,) = await vouchers(db)
    for fields in (
        {"value": "101"},
        {"value": "10", "usage_limit": "0"},
        {"value": "10", "listing_ids": str(theirs)},
    ):
        refused = await edit(admin_client, before.id, **fields)
        assert refused.status_code == 400, fields
    assert await vouchers(db) == [before]


async def test_forged_changes_are_refused(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    form = {**FIELDS, "owner": await host_email(db, seeded), "code": "FORGED", "value": "50"}
    assert (await admin_client.post("/admin/voucher/create", data=form)).status_code == 403
    sibling = await admin_client.post(
        "/admin/voucher/create",
        data={**form, "csrf_token": await csrf_token(admin_client, "/admin/voucher/create")},
        headers={"Sec-Fetch-Site": "same-site"},
    )
    assert sibling.status_code == 403
    assert await vouchers(db) == []

    await create(admin_client, owner=form["owner"], code="REAL", value="10")
    (real,) = await vouchers(db)
    raised = {**FIELDS, "value": "100"}
    assert (
        await admin_client.post(f"/admin/voucher/edit/{real.id}", data=raised)
    ).status_code == 403
    assert (await delete(admin_client, real.id, token=None)).status_code == 403
    assert await vouchers(db) == [real]
