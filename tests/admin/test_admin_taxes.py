"""Listings' taxes at /admin/listing-tax: staff add, change and remove them through the
API's own checks (services/listings/tax_edits.py), list, search and filter them; bad input
and forged requests change nothing."""

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text

from bookwell.core.db import Database
from bookwell.services.listings.taxes import taxes_of
from tests.admin.conftest import ADMIN_PASSWORD, Seeded, csrf_token, sign_in

FIELDS = {"name": "", "kind": "PERCENT", "rate": "", "amount": "", "save": "Save"}


async def add(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = await csrf_token(http, "/admin/listing-tax/create")
    form = {**FIELDS, **fields, "csrf_token": token}
    return await http.post("/admin/listing-tax/create", data=form)


async def edit(http: httpx.AsyncClient, tax_id, **fields: str) -> httpx.Response:
    page = f"/admin/listing-tax/edit/{tax_id}"
    form = {**FIELDS, **fields, "csrf_token": await csrf_token(http, page)}
    return await http.post(page, data=form)


async def delete(http: httpx.AsyncClient, tax_id, token: str | None) -> httpx.Response:
    headers = {"X-CSRF-Token": token} if token is not None else {}
    return await http.delete(f"/admin/listing-tax/delete?pks={tax_id}", headers=headers)


async def taxes(db: Database, listing_id) -> list:
    async with db.read() as session:
        return await taxes_of(session=session, listing_id=listing_id)


async def tax_ids(db: Database, listing_id) -> list:
    async with db.read() as session:
        found = await session.execute(
            text("SELECT id FROM listing_taxes WHERE listing_id = :id ORDER BY position"),
            {"id": listing_id},
        )
        return list(found.scalars())


async def test_an_admin_adds_changes_and_removes_a_listings_taxes(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    loft = str(seeded.loft_id)
    vat = await add(admin_client, listing_id=loft, name="VAT", rate="7", inclusive="y")
    assert vat.status_code == 302, vat.text
    tourist = await add(
        admin_client, listing_id=loft, name="Tourist tax", kind="PER_PERSON_NIGHT", amount="2.50"
    )
    assert tourist.status_code == 302, tourist.text
    await add(admin_client, listing_id=str(seeded.cabin_id), name="City fee", rate="3")
    found = await taxes(db, seeded.loft_id)
    assert [(t.name, t.kind.value, t.rate, t.amount, t.inclusive) for t in found] == [
        ("VAT", "PERCENT", Decimal("7"), None, True),
        ("Tourist tax", "PER_PERSON_NIGHT", None, Decimal("2.50"), False),
    ]

    listed = await admin_client.get("/admin/listing-tax/list")
    assert listed.status_code == 200
    assert all(name in listed.text for name in ("VAT", "Tourist tax", "City fee"))
    searched = await admin_client.get("/admin/listing-tax/list?search=tourist")
    assert "Tourist tax" in searched.text and "City fee" not in searched.text
    filtered = await admin_client.get(f"/admin/listing-tax/list?listing_id={seeded.cabin_id}")
    assert "City fee" in filtered.text and "Tourist tax" not in filtered.text

    vat_id, tourist_id = await tax_ids(db, seeded.loft_id)
    changed = await edit(admin_client, vat_id, name="VAT", rate="19.6", inclusive="y")
    assert changed.status_code == 302, changed.text
    assert [(t.name, t.rate) for t in await taxes(db, seeded.loft_id)] == [
        ("VAT", Decimal("19.6")),
        ("Tourist tax", None),
    ]  # in its place

    (_, tourist_id) = await tax_ids(db, seeded.loft_id)
    token = await csrf_token(admin_client, "/admin/listing-tax/create")
    removed = await delete(admin_client, tourist_id, token)
    assert removed.status_code == 200 and "error" not in removed.text, removed.text
    assert [t.name for t in await taxes(db, seeded.loft_id)] == ["VAT"]


BAD = [
    ({"name": "VAT", "rate": "150"}, "rate is 0 to 100"),
    ({"name": "VAT", "rate": "7.12345"}, "at most 4 decimals"),
    ({"name": "VAT", "rate": "seven"}, "not a decimal number"),
    ({"name": "VAT", "rate": "NaN"}, "not a decimal number"),
    ({"name": "VAT", "rate": "7", "amount": "1.00"}, "has a rate and no amount"),
    ({"name": "Tourist", "kind": "PER_PERSON_NIGHT", "amount": "2.505"}, "at most 2 decimals"),
    ({"name": "Tourist", "kind": "PER_PERSON_NIGHT", "amount": "-1"}, "amount is 0 to 100000"),
    ({"name": "Tourist", "kind": "PER_PERSON_NIGHT"}, "has an amount and no rate"),
    ({"name": "x" * 101, "rate": "7"}, "1 to 100 characters"),
    ({"name": "", "rate": "7"}, "This field is required"),
    ({"name": "VAT", "kind": "FLAT", "rate": "7"}, "Not a valid choice"),
]


@pytest.mark.parametrize(("fields", "why"), BAD)
async def test_bad_input_is_refused_with_nothing_written(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database, fields, why
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    answer = await add(admin_client, listing_id=str(seeded.loft_id), **fields)
    assert answer.status_code == 400
    assert why in answer.text
    assert await taxes(db, seeded.loft_id) == []


async def test_a_bad_edit_or_an_unknown_listing_changes_nothing(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    await add(admin_client, listing_id=str(seeded.loft_id), name="VAT", rate="7")
    before = await taxes(db, seeded.loft_id)
    (vat_id,) = await tax_ids(db, seeded.loft_id)
    refused = await edit(admin_client, vat_id, name="VAT", rate="101")
    assert refused.status_code == 400 and "rate is 0 to 100" in refused.text
    assert await taxes(db, seeded.loft_id) == before
    assert await tax_ids(db, seeded.loft_id) == [vat_id]  # not even rewritten

    unknown = await add(admin_client, listing_id=str(seeded.admin_id), name="VAT", rate="7")
    assert unknown.status_code == 400 and "No listing with that id" in unknown.text
    many = [
        await add(admin_client, listing_id=str(seeded.loft_id), name=f"T{n}", rate="1")
        for n in range(10)
    ]
    assert [each.status_code for each in many] == [302] * 9 + [400]
    assert "at most 10 taxes" in many[-1].text
    assert len(await taxes(db, seeded.loft_id)) == 10


async def test_forged_changes_are_refused(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    form = {**FIELDS, "listing_id": str(seeded.loft_id), "name": "VAT", "rate": "7"}
    forged = await admin_client.post("/admin/listing-tax/create", data=form)
    assert forged.status_code == 403
    cross = await admin_client.post(
        "/admin/listing-tax/create",
        data={**form, "csrf_token": await csrf_token(admin_client, "/admin/listing-tax/create")},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert await taxes(db, seeded.loft_id) == []

    await add(admin_client, listing_id=str(seeded.loft_id), name="VAT", rate="7")
    (vat_id,) = await tax_ids(db, seeded.loft_id)
    assert (await delete(admin_client, vat_id, token=None)).status_code == 403
    assert (await delete(admin_client, vat_id, token="wrong")).status_code == 403
    assert await tax_ids(db, seeded.loft_id) == [vat_id]


async def test_the_pages_carry_the_token_for_deletes(
    admin_client: httpx.AsyncClient, seeded: Seeded
):
    """sqladmin deletes with jQuery: every page sets the header it sends (base.html)."""
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    token = await csrf_token(admin_client, "/admin/listing-tax/create")
    listed = await admin_client.get("/admin/listing-tax/list")
    assert f'$.ajaxSetup({{headers: {{"X-CSRF-Token": "{token}"}}}});' in listed.text
