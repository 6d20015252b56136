"""Blackouts at /admin/blackout: staff make one for any listing through the API's own flow
(a conflict is shown on the form), see them listed apart from reservations, and reopen them."""

from datetime import date, timedelta

import httpx
from sqlalchemy import text

from bookwell.core.db import Database
from tests.admin.conftest import ADMIN_PASSWORD, Seeded, csrf_token, sign_in

SOON = date.today() + timedelta(days=30)


async def create(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    form = {
        "start_date": "",
        "end_date": "",
        "starts_at": "",
        "ends_at": "",
        "units": "",
        "reason": "",
        **fields,
        "save": "Save",
        "csrf_token": await csrf_token(http, "/admin/blackout/create"),
    }
    return await http.post("/admin/blackout/create", data=form)


async def test_an_admin_blacks_out_a_listing_and_reopens_it(
    admin_client: httpx.AsyncClient, seeded: Seeded, db: Database
):
    await sign_in(admin_client, seeded.admin_email, ADMIN_PASSWORD)
    made = await create(
        admin_client,
        listing_id=str(seeded.cabin_id),
        start_date=str(SOON),
        end_date=str(SOON + timedelta(days=3)),
        reason="Roof repairs",
    )
    assert made.status_code == 302, made.text
    listed = await admin_client.get("/admin/blackout/list")
    assert listed.status_code == 200
    assert "Roof repairs" in listed.text
    assert "Zelda Quartz" not in listed.text  # reservations are not blackouts
    async with db.read() as session:
        blackout_id, booked = (
            await session.execute(
                text(
                    "SELECT r.id, n.booked FROM reservations r JOIN listing_nights n "
                    "ON n.listing_id = r.listing_id AND n.night = r.start_date "
                    "WHERE r.external_source = 'blackout' AND r.listing_id = :id"
                ),
                {"id": seeded.cabin_id},
            )
        ).one()
    assert booked == 1

    # Zelda's PENDING booking holds the loft's only unit on 2027-03-01..04.
    refused = await create(
        admin_client,
        listing_id=str(seeded.loft_id),
        start_date="2027-03-02",
        end_date="2027-03-03",
    )
    assert refused.status_code == 400
    assert "Zelda Quartz" in refused.text

    page = "/admin/blackout/list"
    reopened = await admin_client.get(
        f"/admin/blackout/action/reopen?pks={blackout_id}",
        headers={"Sec-Fetch-Site": "same-origin", "Referer": f"http://test{page}"},
    )
    assert reopened.status_code == 303, reopened.text
    async with db.read() as session:
        status = await session.scalar(
            text("SELECT status FROM reservations WHERE id = :id"), {"id": blackout_id}
        )
    assert status == "CANCELLED"
