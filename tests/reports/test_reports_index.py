"""GET /reports/: every listing the caller may see in one report, in the format asked
(no format: JSON), with the same figures as the GraphQL `report`; and no-shows, reported on
their own (a count, and what they kept), in both.

The calendar is report_calendar.py's, plus two no-shows at Echo studio (GBP, 1 unit):
  e1 NO_SHOW [03-18, 03-22) 400.00: nights 18, 19 in the window = shares 0..2 of 4 = 200.00
  e2 NO_SHOW [03-01, 03-03) 90.00: outside the window, not counted
"""

import csv
import io
import json

import pytest

from bookwell.models import ReservationStatus
from tests.factories import make_token
from tests.reports.report_calendar import (
    END,
    START,
    Calendar,
    add_reservation,
    build_calendar,
    march,
)

WINDOW = {"start": START.isoformat(), "end": END.isoformat()}
LISTING_FIELDS = """listingId title city kind timezone units currency
  availableNights bookedNights heldNights blockedNights occupancyRate
  revenue { amount currency } adr { amount currency } revpar { amount currency }
  noShowRevenue { amount currency }
  reservations cancellations noShows averageLeadTimeDays averageLengthOfStay
  nights { date units booked held blocked free }"""
FIGURES = """availableNights bookedNights heldNights blockedNights occupancyRate reservations
  cancellations noShows averageLeadTimeDays averageLengthOfStay"""
QUERY = f"""query($start: Date!, $end: Date!) {{
  report(startDate: $start, endDate: $end) {{
    startDate endDate nights
    listings {{ {LISTING_FIELDS} }}
    totals {{ currency listings {FIGURES} revenue {{ amount currency }}
             adr {{ amount currency }} revpar {{ amount currency }}
             noShowRevenue {{ amount currency }} }}
    overall {{ {FIGURES} }}
  }}
}}"""


@pytest.fixture
async def calendar(db) -> Calendar:
    found = await build_calendar(db)
    no_show = ReservationStatus.NO_SHOW
    gbp = {"currency": "GBP"}
    await add_reservation(db, found.echo, march(18), march(22), no_show, "400.00", **gbp)
    await add_reservation(db, found.echo, march(1), march(3), no_show, "90.00", **gbp)
    return found


@pytest.fixture
async def tokens(db, calendar) -> dict[str, str]:
    return {
        role: await make_token(db, getattr(calendar, role))
        for role in ("host", "other_host", "admin", "guest")
    }


def get(client, token: str | None = None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.http.get("/reports/", params={**WINDOW, **params}, headers=headers)


async def graphql_report(client, token: str) -> dict:
    return (await client(QUERY, WINDOW, token=token)).data["report"]


@pytest.mark.parametrize("who", ["host", "admin", "other_host"])
async def test_the_json_answer_is_the_graphql_report_of_every_listing(
    client, calendar, tokens, who
):
    response = await get(client, tokens[who])  # no format: JSON

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = json.loads(response.content)
    report = await graphql_report(client, tokens[who])
    for key in ("startDate", "endDate", "nights"):
        assert document[key] == report[key]
    assert [listing["title"] for listing in document["listings"]] == [
        listing["title"] for listing in report["listings"]
    ]
    for mine, theirs in zip(document["listings"], report["listings"], strict=True):
        assert {field: mine[field] for field in theirs} == theirs
    for mine, theirs in zip(document["totals"], report["totals"], strict=True):
        assert {field: mine[field] for field in theirs} == theirs
    assert {field: document["overall"][field] for field in report["overall"]} == report["overall"]


async def test_each_caller_sees_the_listings_they_may(client, calendar, tokens):
    titles = {
        who: [row["title"] for row in (await get(client, tokens[who])).json()["listings"]]
        for who in ("host", "admin", "other_host")
    }
    assert titles["host"] == ["Alpha flat", "Bravo loft", "Charlie bistro", "Echo studio"]
    assert titles["other_host"] == ["Delta house"]
    assert titles["admin"] == [*titles["host"][:3], "Delta house", "Echo studio"]
    paris = (await get(client, tokens["admin"], city="paris")).json()["listings"]
    assert [row["title"] for row in paris] == ["Alpha flat", "Charlie bistro", "Delta house"]


async def test_no_shows_are_reported_apart_from_sales(client, calendar, tokens):
    report = await graphql_report(client, tokens["host"])

    echo = next(row for row in report["listings"] if row["title"] == "Echo studio")
    assert echo["noShows"] == 1
    assert echo["noShowRevenue"] == {"amount": "200.00", "currency": "GBP"}
    # Not a sale: no booked night, no revenue, no stay; not a cancellation either.
    assert (echo["bookedNights"], echo["reservations"], echo["cancellations"]) == (0, 0, 0)
    assert echo["revenue"] == {"amount": "0.00", "currency": "GBP"}
    assert {n["date"]: n["free"] for n in echo["nights"]}["2031-03-18"] == 1
    gbp = next(row for row in report["totals"] if row["currency"] == "GBP")
    assert (gbp["noShows"], gbp["noShowRevenue"]["amount"]) == (1, "200.00")
    assert report["overall"]["noShows"] == 1
    alpha = next(row for row in report["listings"] if row["title"] == "Alpha flat")
    assert (alpha["noShows"], alpha["noShowRevenue"]["amount"]) == (0, "0.00")
    assert alpha["revenue"]["amount"] == "328.57"  # as report_calendar.py works it out


@pytest.mark.parametrize(
    ("format", "media_type", "disposition"),
    [
        ("html", "text/html; charset=utf-8", "inline"),
        ("text", "text/plain; charset=utf-8", "inline"),
        ("TEXT", "text/plain; charset=utf-8", "inline"),
        ("csv", "text/csv; charset=utf-8", "attachment"),
        ("json", "application/json", "inline"),
    ],
)
async def test_each_format(client, calendar, tokens, format, media_type, disposition):
    response = await get(client, tokens["host"], format=format)

    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"].startswith(f"{disposition}; filename=")
    assert "no-store" in response.headers["cache-control"]
    for title in ("Alpha flat", "Bravo loft", "Charlie bistro", "Echo studio"):
        assert title in response.text
    assert "Delta house" not in response.text


async def test_the_html_page_has_a_chart_per_listing_and_the_csv_a_row(client, calendar, tokens):
    page = (await get(client, tokens["host"], format="html")).text
    assert page.count("<svg") >= 4
    assert "<script" not in page

    sheet = (await get(client, tokens["host"], format="csv")).content.decode("utf-8-sig")
    rows = {row["title"]: row for row in csv.DictReader(io.StringIO(sheet))}
    assert sorted(rows) == ["Alpha flat", "Bravo loft", "Charlie bistro", "Echo studio"]
    assert (rows["Echo studio"]["no_shows"], rows["Echo studio"]["no_show_revenue"]) == (
        "1",
        "200.00",
    )
    assert rows["Alpha flat"]["revenue"] == "328.57"


async def test_refusals(client, calendar, tokens):
    missing = await get(client)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "UNAUTHENTICATED"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert (await get(client, "not-a-token")).status_code == 401
    guest = await get(client, tokens["guest"])
    assert (guest.status_code, guest.json()["error"]["code"]) == (403, "FORBIDDEN")
    bad = await get(client, tokens["host"], format="pdf")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "format"
    no_end = await client.http.get(
        "/reports/",
        params={"start": WINDOW["start"]},
        headers={"Authorization": f"Bearer {tokens['host']}"},
    )
    assert no_end.status_code == 400 and no_end.json()["error"]["field"] == "end"
    linked = await client.http.get(
        "/reports/", params={**WINDOW, "format": "html", "access_token": tokens["host"]}
    )
    assert linked.status_code == 200 and "Echo studio" in linked.text
