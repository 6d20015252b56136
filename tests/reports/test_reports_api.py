"""The report over GraphQL and over plain HTTP: who may read it, the errors, and every format.
The figures themselves are checked one by one in tests/reports/test_report_figures.py."""

import csv
import io
import json
import logging
import unicodedata

import pytest

from bookwell.core.ids import global_id
from bookwell.models import Role
from bookwell.services.reports import reports
from tests.factories import make_listing, make_token, make_user
from tests.reports.report_calendar import END, START, Calendar, build_calendar

QUERY = """
query($listingId: ID, $city: String, $start: Date!, $end: Date!, $format: ReportFormat! = JSON) {
  report(listingId: $listingId, city: $city, startDate: $start, endDate: $end, format: $format) {
    startDate endDate nights format rendered
    listings {
      listingId title city kind timezone units currency
      availableNights bookedNights heldNights blockedNights occupancyRate
      revenue { amount currency } adr { amount currency } revpar { amount currency }
      reservations cancellations averageLeadTimeDays averageLengthOfStay
      nights { date units booked held blocked free }
    }
    totals { currency listings bookedNights availableNights occupancyRate
             revenue { amount } adr { amount } revpar { amount } }
    overall { bookedNights availableNights occupancyRate reservations cancellations
              averageLeadTimeDays averageLengthOfStay }
  }
}
"""
WINDOW = {"start": START.isoformat(), "end": END.isoformat()}
ODD_TITLE = '<b>Zoë\'s "loft" & 東京</b>'
FORMULA_TITLE = '=HYPERLINK("http://evil.example")'


@pytest.fixture
async def calendar(db) -> Calendar:
    return await build_calendar(db)


@pytest.fixture
async def tokens(db, calendar) -> dict[str, str]:
    return {
        "host": await make_token(db, calendar.host),
        "other_host": await make_token(db, calendar.other_host),
        "admin": await make_token(db, calendar.admin),
        "guest": await make_token(db, calendar.guest),
    }


async def ask(client, token, **variables):
    return await client(QUERY, {**WINDOW, **variables}, token=token)


def get(client, path: str, token: str | None = None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.http.get(path, params=params or WINDOW, headers=headers)


# --- GraphQL ---------------------------------------------------------------------------


async def test_a_host_reads_the_structured_report(client, calendar, tokens):
    answer = await ask(client, tokens["host"], listingId=str(calendar.alpha))

    report = answer.data["report"]
    assert (report["startDate"], report["endDate"], report["nights"]) == (
        "2031-03-10",
        "2031-03-20",
        10,
    )
    assert (report["format"], report["rendered"]) == ("JSON", None)
    [alpha] = report["listings"]
    assert alpha["listingId"] == global_id("Listing", calendar.alpha)
    assert (alpha["title"], alpha["kind"], alpha["units"], alpha["currency"]) == (
        "Alpha flat",
        "STAY",
        2,
        "EUR",
    )
    assert (alpha["availableNights"], alpha["bookedNights"]) == (18, 10)
    assert (alpha["heldNights"], alpha["blockedNights"]) == (2, 2)
    assert alpha["occupancyRate"] == 0.5556
    assert alpha["revenue"] == {"amount": "328.57", "currency": "EUR"}
    assert alpha["adr"] == {"amount": "32.86", "currency": "EUR"}
    assert alpha["revpar"] == {"amount": "18.25", "currency": "EUR"}
    assert (alpha["reservations"], alpha["cancellations"]) == (3, 1)
    assert (alpha["averageLeadTimeDays"], alpha["averageLengthOfStay"]) == (27.33, 4.67)
    assert alpha["nights"][3] == {
        "date": "2031-03-13", "units": 2, "booked": 0, "held": 1, "blocked": 1, "free": 0,
    }  # fmt: skip
    assert [t["currency"] for t in report["totals"]] == ["EUR"]
    assert report["overall"]["bookedNights"] == 10


async def test_totals_are_grouped_by_currency(client, tokens):
    report = (await ask(client, tokens["host"])).data["report"]

    assert [t["currency"] for t in report["totals"]] == ["EUR", "GBP", "USD"]
    eur = report["totals"][0]
    assert (eur["listings"], eur["bookedNights"], eur["availableNights"]) == (2, 12, 28)
    assert eur["revenue"] == {"amount": "468.57"}
    assert (eur["adr"], eur["revpar"]) == ({"amount": "39.05"}, {"amount": "16.73"})
    assert report["totals"][1]["adr"] is None
    assert report["overall"] == {
        "bookedNights": 15,
        "availableNights": 48,
        "occupancyRate": 0.3125,
        "reservations": 7,
        "cancellations": 1,
        "averageLeadTimeDays": 16.43,
        "averageLengthOfStay": 3.0,
    }


async def test_admins_see_every_listing_and_cities_narrow(client, tokens):
    admin = (await ask(client, tokens["admin"], city="Paris")).data["report"]
    host = (await ask(client, tokens["host"], city="Paris")).data["report"]

    assert [x["title"] for x in admin["listings"]] == [
        "Alpha flat",
        "Charlie bistro",
        "Delta house",
    ]
    assert [x["title"] for x in host["listings"]] == ["Alpha flat", "Charlie bistro"]


@pytest.mark.parametrize(
    ("who", "variables", "code"),
    [
        ("guest", {}, "FORBIDDEN"),
        ("guest", {"end": "2031-03-01"}, "FORBIDDEN"),
        ("host", {"end": "2031-03-10"}, "INVALID_DATES"),
        ("host", {"end": "2032-03-11"}, "INVALID_DATES"),
        ("host", {"listingId": "not-an-id"}, "NOT_FOUND"),
        ("other_host", {"listingId": "ALPHA"}, "NOT_FOUND"),
    ],
)
async def test_refusals(client, calendar, tokens, who, variables, code):
    if variables.get("listingId") == "ALPHA":
        variables = {"listingId": str(calendar.alpha)}
    answer = await ask(client, tokens[who], **variables)

    assert answer.codes == [code]
    assert answer.body["data"] is None


async def test_the_range_may_be_366_nights_and_says_so_when_longer(client, tokens):
    assert (await ask(client, tokens["host"], end="2032-03-10")).data["report"]["nights"] == 366
    answer = await ask(client, tokens["host"], end="2032-03-11")
    assert "at most 366 nights" in answer.errors[0]["message"]


async def test_without_a_token_it_is_unauthenticated(client, calendar):
    answer = await ask(client, None)

    assert answer.status == 401
    assert answer.codes == ["UNAUTHENTICATED"]


# --- Formats -------------------------------------------------------------------------


@pytest.fixture
async def odd_listings(db, calendar) -> None:
    await make_listing(db, calendar.host, title=ODD_TITLE, city="Paris", currency="EUR")
    await make_listing(db, calendar.host, title=FORMULA_TITLE, city="Paris", currency="EUR")


async def rendered(client, token, format: str) -> str:
    answer = await ask(client, token, format=format)
    assert answer.data["report"]["format"] == format
    return answer.data["report"]["rendered"]


async def test_html_is_a_standalone_page_with_a_chart_per_listing(client, tokens, odd_listings):
    page = await rendered(client, tokens["host"], "HTML")

    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg xmlns=") == 6  # a chart per listing (plus the legend)
    for dependency in ("<script", " src=", " href=", "url(", "@import"):
        assert dependency not in page.lower()
    assert "<b>Zoë" not in page
    assert "&lt;b&gt;Zoë&#x27;s &quot;loft&quot; &amp; 東京&lt;/b&gt;" in page
    assert "2031-03-13: 0 booked, 1 held, 1 blocked, 0 free of 2" in page
    assert "468.57" in page and "55.6%" in page


async def test_csv_parses_back_one_row_per_listing(client, tokens, odd_listings):
    text = await rendered(client, tokens["host"], "CSV")

    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6
    alpha = next(row for row in rows if row["title"] == "Alpha flat")
    assert alpha["start_date"] == "2031-03-10" and alpha["nights"] == "10"
    assert (alpha["booked_unit_nights"], alpha["available_unit_nights"]) == ("10", "18")
    assert (alpha["occupancy_rate"], alpha["revenue"], alpha["adr"]) == (
        "0.5556",
        "328.57",
        "32.86",
    )
    assert (alpha["average_lead_time_days"], alpha["currency"]) == ("27.33", "EUR")
    echo = next(row for row in rows if row["title"] == "Echo studio")
    assert (echo["adr"], echo["average_length_of_stay"]) == ("", "")
    titles = {row["title"] for row in rows}
    assert ODD_TITLE in titles  # quoted by the csv module, back intact
    assert "'" + FORMULA_TITLE in titles  # never a formula in a spreadsheet


def _cells(line: str) -> str:
    """The line as terminal cells: a wide character takes two."""
    return "".join(c * 2 if unicodedata.east_asian_width(c) in "WF" else c for c in line)


async def test_text_columns_are_aligned(client, tokens, odd_listings):
    text = await rendered(client, tokens["host"], "TEXT")

    lines = text.splitlines()
    top = lines.index("Listings") + 1
    header, rule, *rows = lines[top : lines.index("", top)]
    assert len(rows) == 6
    assert any("東京" in row for row in rows)
    columns, position = [], 0
    for dashes in rule.split("  "):
        columns.append((position, position + len(dashes)))
        position += len(dashes) + 2
    for line in [header, *rows]:
        cells = _cells(line).ljust(position)
        for n, (start, end) in enumerate(columns):
            assert cells[start - 2 : start] == "  " or start == 0, line
            assert cells[start:end].strip(), line
            if n >= 3:  # numbers (from Units on) are right-aligned
                assert cells[end - 1] != " ", line
            else:
                assert cells[start] != " ", line
    caption = "Totals per currency (amounts are never added across currencies)"
    totals = lines[lines.index(caption) + 1]
    assert totals.split() == ["Currency", "Listings", *header.split()[4:]]


# --- HTTP downloads ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "media_type"),
    [
        ("html", "text/html; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("json", "application/json"),
    ],
)
async def test_downloads_have_the_right_content_type(
    client, calendar, tokens, extension, media_type
):
    response = await get(client, f"/reports/{calendar.alpha}.{extension}", tokens["host"])

    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert "no-store" in response.headers["cache-control"]
    assert "Alpha flat" in response.text


async def test_the_csv_download_is_an_attachment_a_spreadsheet_reads(client, calendar, tokens):
    response = await get(client, f"/reports/{calendar.alpha}.csv", tokens["host"])

    assert response.headers["content-disposition"] == (
        f'attachment; filename="report-{calendar.alpha}-2031-03-10-2031-03-20.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["title"], row["revenue"]) for row in rows] == [("Alpha flat", "328.57")]


async def test_the_json_download_matches_the_graphql_report(client, calendar, tokens):
    response = await get(client, f"/reports/{calendar.bravo}.json", tokens["host"])
    graphql = (await ask(client, tokens["host"], listingId=str(calendar.bravo))).data["report"]

    document = json.loads(response.content)
    [listing] = document["listings"]
    for field, value in graphql["listings"][0].items():
        assert listing[field] == value, field
    assert {key: document["overall"][key] for key in graphql["overall"]} == graphql["overall"]
    assert document["totals"][0]["revenue"] == {"amount": "333.33", "currency": "USD"}


async def test_html_download_has_the_chart(client, calendar, tokens):
    response = await get(client, f"/reports/{calendar.charlie}.html", tokens["admin"])

    assert "<svg" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "2031-03-12: 2 booked, 0 held, 0 blocked, 0 free of 1" in response.text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("{alpha}.pdf", WINDOW, "format"),
        ("{alpha}", WINDOW, "format"),
        ("{alpha}.csv", {"start": "2031-03-10"}, "end"),
        ("{alpha}.csv", {"start": "2031-3-10", "end": "2031-03-20"}, "start"),
        ("{alpha}.csv", {"start": "2031-02-30", "end": "2031-03-20"}, "start"),
        ("{alpha}.csv", {"start": "2031-03-20", "end": "2031-03-10"}, "endDate"),
        ("{alpha}.csv", {"start": "2031-03-10", "end": "2033-03-10"}, "endDate"),
    ],
)
async def test_a_bad_format_or_range_is_400(client, calendar, tokens, path, params, field):
    url = "/reports/" + path.format(alpha=calendar.alpha)
    response = await get(client, url, tokens["host"], **params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field
    assert error["code"] in ("INVALID_INPUT", "INVALID_DATES")
    assert error["message"]


async def test_a_browser_link_may_carry_the_token(client, calendar, tokens):
    params = {**WINDOW, "access_token": tokens["host"]}
    response = await client.http.get(f"/reports/{calendar.alpha}.html", params=params)
    assert response.status_code == 200 and "Alpha flat" in response.text
    params["access_token"] = "not-a-token"
    refused = await client.http.get(f"/reports/{calendar.alpha}.html", params=params)
    assert refused.status_code == 401


async def test_downloads_need_a_valid_token(client, calendar):
    missing = await get(client, f"/reports/{calendar.alpha}.csv")
    invalid = await get(client, f"/reports/{calendar.alpha}.csv", "not-a-token")

    for response in (missing, invalid):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_a_download_answers_the_request_id_its_log_lines_carry(
    client, calendar, tokens, monkeypatch, caplog
):
    """One request id, made by the request context middleware (observability/): the
    X-Request-ID of a download, of its failure and of a refused token is the one its log
    lines carry, and a client's own is kept."""
    ok = await get(client, f"/reports/{calendar.alpha}.csv", tokens["host"])
    assert ok.status_code == 200
    mine = {**WINDOW}
    answered = await client.http.get(
        f"/reports/{calendar.alpha}.csv",
        params=mine,
        headers={"Authorization": f"Bearer {tokens['host']}", "X-Request-ID": "support-7"},
    )
    assert answered.headers["X-Request-ID"] == "support-7"
    refused = await client.http.get(
        f"/reports/{calendar.alpha}.csv",
        params=mine,
        headers={"Authorization": "Bearer not-a-token", "X-Request-ID": "support-8"},
    )
    assert (refused.status_code, refused.headers["X-Request-ID"]) == (401, "support-8")

    async def broken(**_):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reports, "build_report", broken)
    with caplog.at_level(logging.ERROR, logger="bookwell.http.reports"):
        failed = await get(client, f"/reports/{calendar.alpha}.csv", tokens["host"])
    assert failed.status_code == 500
    request_id = failed.headers["X-Request-ID"]
    [line] = [r for r in caplog.records if r.name == "bookwell.http.reports"]
    assert line.getMessage() == f"unexpected error (request {request_id})"


async def test_guests_are_forbidden(client, calendar, tokens):
    response = await get(client, f"/reports/{calendar.alpha}.csv", tokens["guest"])

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


async def test_someone_elses_or_no_listing_is_404_alike(client, db, calendar, tokens):
    answers = [
        await get(client, f"/reports/{calendar.delta}.json", tokens["host"]),
        await get(client, "/reports/01890a5d-ac96-774b-bcce-b302099a8057.json", tokens["host"]),
        await get(client, "/reports/nope.json", tokens["host"]),
    ]

    assert {response.status_code for response in answers} == {404}
    assert len({response.text for response in answers}) == 1
    admin = await get(client, f"/reports/{calendar.delta}.json", tokens["admin"])
    assert admin.status_code == 200


async def test_a_new_host_gets_an_empty_report_not_an_error(client, db):
    newcomer = await make_user(db, Role.HOST)
    answer = await ask(client, await make_token(db, newcomer), format="TEXT")

    report = answer.data["report"]
    assert (report["listings"], report["totals"]) == ([], [])
    assert "No listings match this report." in report["rendered"]
