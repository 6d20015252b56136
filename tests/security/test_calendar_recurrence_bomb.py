"""A tiny calendar that ties up the server: a recurrence rule that never matches
(`FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`) made dateutil walk every day to year 9999, seconds
of CPU per event, in the thread pool logins hash passwords in. Reading a calendar is
bounded by the horizon it needs (two years), in steps and in wall time, runs in worker
processes of its own (killed when over time), and a host's imports are rate limited;
whatever is over a budget is refused with INVALID_INPUT naming the limit."""

import asyncio
import time

import pytest

from bookwell.core.config import Settings
from bookwell.graphql.limits.rate_limiting import CODE as RATE_LIMITED
from bookwell.services.calendar.ical_events import (
    MAX_DATES,
    MAX_EVENTS,
    MAX_STEPS,
    MAX_TOTAL_STEPS,
)
from bookwell.services.calendar.reading import MAX_DEPTH
from tests.calendar.calendars import IMPORT, paris_listing, run_import

NEVER = [
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20310101T000000Z",
    "FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
    "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1",
    "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=31;BYDAY=MO",
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=3",
]


def calendar(*events: str, before: str = "") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Attack//EN\r\n"
        + before
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )


def series(rule: str, uid: str, *extra: str) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTART:20260110T100000Z",
        "DTEND:20260110T110000Z",
        f"RRULE:{rule}",
        *extra,
        "END:VEVENT",
    ]
    return "".join(f"{line}\r\n" for line in lines)


def refusal(answer: dict) -> str:
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("INVALID_INPUT", ["input", "icsText"])
    ], answer
    return answer["errors"][0]["message"]


async def test_rules_that_never_match_are_walked_to_the_horizon_only(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    # The first import of a process starts its reader processes (a second or more).
    assert (await run_import(client, host_token, listing_id, ics_text=calendar()))["errors"] == []
    text = calendar(*(series(rule, f"never-{n}@attack") for n, rule in enumerate(NEVER)))

    started = time.monotonic()
    answer = await run_import(client, host_token, listing_id, ics_text=text)
    took = time.monotonic() - started

    assert answer["errors"] == [] and answer["created"] == 0
    assert took < 5, f"{took:.1f} s for {len(text)} bytes"  # one rule took 3-10 s


@pytest.mark.parametrize(
    "rule",
    ["FREQ=SECONDLY;COUNT=1000000000", "FREQ=MINUTELY", "FREQ=SECONDLY;INTERVAL=1"],
)
async def test_rules_with_too_many_steps_are_refused_naming_the_limit(
    client, db, host, host_token, rule
):
    listing_id = await paris_listing(db, host)
    answer = await run_import(
        client, host_token, listing_id, ics_text=calendar(series(rule, "many@attack"))
    )
    assert f"more than {MAX_STEPS}" in refusal(answer)


async def test_steps_are_counted_over_the_whole_calendar(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    # Each series stays under the per-event limit; together they are far over it, and
    # none is a block (transparent: free time), so no count of blocks stops them first.
    rule = "FREQ=HOURLY;INTERVAL=3"
    events = [series(rule, f"h{n}@attack", "TRANSP:TRANSPARENT") for n in range(40)]
    answer = await run_import(client, host_token, listing_id, ics_text=calendar(*events))
    assert f"over {MAX_TOTAL_STEPS} steps in all" in refusal(answer)


async def test_many_exdates_and_rdates_are_bounded(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    dates = ",".join(f"2030{m:02d}{d:02d}T100000Z" for m in range(1, 13) for d in range(1, 29))
    lines = [f"EXDATE:{dates}"] * 150 + [f"RDATE:{dates}"] * 150
    text = calendar(series("FREQ=DAILY;COUNT=3", "dates@attack", *lines))
    started = time.monotonic()
    answer = await run_import(client, host_token, listing_id, ics_text=text)
    assert time.monotonic() - started < 10
    assert f"More than {MAX_DATES} RDATE and EXDATE dates" in refusal(answer)


async def test_thousands_of_events_are_refused_naming_the_limit(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    events = [series("FREQ=YEARLY;COUNT=1", f"e{n}@attack") for n in range(MAX_EVENTS + 1)]
    answer = await run_import(client, host_token, listing_id, ics_text=calendar(*events))
    assert f"at most {MAX_EVENTS} events" in refusal(answer)


@pytest.mark.parametrize("component", ["VTIMEZONE", "STANDARD", "X-NESTED"])
async def test_deeply_nested_components_are_refused(client, db, host, host_token, component):
    listing_id = await paris_listing(db, host)
    depth = 20_000
    nested = f"BEGIN:{component}\r\n" * depth + f"END:{component}\r\n" * depth
    answer = await run_import(client, host_token, listing_id, ics_text=calendar(before=nested))
    assert f"more than {MAX_DEPTH} levels" in refusal(answer)


@pytest.fixture
def tight(settings: Settings) -> Settings:
    return settings.model_copy(update={"calendar_read_seconds": 0.3})


@pytest.fixture
async def tight_client(tight):
    from contextlib import AsyncExitStack

    import httpx

    from bookwell.app import create_app
    from tests.support.graphql_client import GraphQLClient
    from tests.support.lifespan import started

    async with AsyncExitStack() as stack:
        app = await stack.enter_async_context(started(create_app(tight)))
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        )
        yield GraphQLClient(http)


async def test_a_calendar_over_the_wall_time_is_refused_naming_the_limit(
    tight_client, db, host, host_token
):
    listing_id = await paris_listing(db, host)
    # Nearly 2 MB of past single events: seconds to parse, none to block.
    one = "BEGIN:VEVENT\r\nUID:{n}@past\r\nDTSTART;VALUE=DATE:20200101\r\nEND:VEVENT\r\n"
    text = calendar(*(one.format(n=n) for n in range(25_000)))
    started = time.monotonic()
    answer = await run_import(tight_client, host_token, listing_id, ics_text=text)
    assert time.monotonic() - started < 5
    assert "0.3 s" in refusal(answer) and "BOOKWELL_CALENDAR_READ_SECONDS" in refusal(answer)


LOGIN = """mutation($email: String!) {
  login(input: {email: $email, password: "correct horse battery"}) { accessToken }
}"""
REGISTER = """mutation($email: String!) {
  register(input: {email: $email, password: "correct horse battery", name: "Lo Gin"}) {
    accessToken
  }
}"""


async def test_concurrent_imports_do_not_hold_up_logins(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    await client(REGISTER, {"email": "login@example.com"})
    started = time.monotonic()
    await client(LOGIN, {"email": "login@example.com"})
    alone = time.monotonic() - started
    text = calendar(*(series(rule, f"never-{n}@attack") for n, rule in enumerate(NEVER[:2])))
    variables = {"input": {"listingId": str(listing_id), "icsText": text}}
    imports = [asyncio.create_task(client(IMPORT, variables, token=host_token)) for _ in range(6)]
    await asyncio.sleep(0.5)  # the imports are reading
    started = time.monotonic()
    answer = await client(LOGIN, {"email": "login@example.com"})
    during = time.monotonic() - started
    await asyncio.gather(*imports)
    assert answer.data["login"]["accessToken"]
    assert during < max(3.0, 5 * alone), f"login took {during:.1f} s ({alone:.1f} s alone)"


async def test_a_hosts_imports_are_rate_limited(client, db, host, host_token, settings):
    listing_id = await paris_listing(db, host)
    text = calendar(series("FREQ=YEARLY;COUNT=1", "one@attack"))
    variables = {"input": {"listingId": str(listing_id), "icsText": text}}
    for _ in range(settings.calendar_import_limit_per_principal):
        assert (await client(IMPORT, variables, token=host_token)).errors == []
    refused = await client(IMPORT, variables, token=host_token)
    assert refused.status == 429
    assert refused.codes == [RATE_LIMITED]


async def test_a_calendar_kept_waiting_for_a_reader_is_retryable_not_invalid():
    """Every reader busy with another calendar until this one's wait ran out: the server's
    state, not the calendar's fault, so 503 SERVICE_UNAVAILABLE (retry), not INVALID_INPUT."""
    from datetime import date

    from bookwell.core.errors import ServiceUnavailable
    from bookwell.services.calendar.reading import CALENDAR_READERS_BUSY, CalendarReader

    one = "BEGIN:VEVENT\r\nUID:{n}@past\r\nDTSTART;VALUE=DATE:20200101\r\nEND:VEVENT\r\n"
    slow = calendar(*(one.format(n=n) for n in range(25_000)))
    reader = CalendarReader(1)
    read = {"timezone": "UTC", "today": date(2027, 1, 1), "horizon_days": 730}
    busy = asyncio.create_task(reader.read(slow, seconds=3, **read))
    await asyncio.sleep(0.2)
    with pytest.raises(ServiceUnavailable) as waited:
        await reader.read(calendar(), seconds=0.2, **read)
    assert waited.value.reason == CALENDAR_READERS_BUSY
    await asyncio.gather(busy, return_exceptions=True)  # read or over its time: not the point
