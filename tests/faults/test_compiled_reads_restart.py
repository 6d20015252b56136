"""Anonymous compiled reads (Database.raw_read's kept and pooled asyncpg connections) while
PostgreSQL restarts under them: every answer is the data or a typed 503, never
INTERNAL_ERROR; and reads answer again soon after the server is back."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from bookwell.core.db import connect
from bookwell.models import Role
from tests.factories import make_listing, make_user
from tests.faults.bookings import typed_unavailable
from tests.faults.processes import PrivatePostgres, Server

# As tests/faults/test_database_faults.py's servers: no answer may wait longer than these.
FAST = {
    "BOOKWELL_DB_POOL_TIMEOUT_SECONDS": "2",
    "BOOKWELL_DB_CONNECT_TIMEOUT_SECONDS": "2",
    "BOOKWELL_DB_COMMAND_TIMEOUT_SECONDS": "3",
    # A pool of 8 keeps 2 connections idle for raw_read (core/idle_connections.py).
    "BOOKWELL_DB_POOL_SIZE": "8",
    "BOOKWELL_DB_MAX_OVERFLOW": "4",
}
ANSWER_BOUND_SECONDS = 15.0
CLIENTS = 6

# Both answered by one compiled statement for an anonymous viewer (tests/graphql/
# test_compiled_reads.py holds that they are the ordinary executor's answers).
LISTINGS = "query Listings { listings(first: 10) { edges { node { id title } } } }"
SEARCH = """query Search($start: Date!) {
  searchAvailability(startDate: $start, nights: 2, first: 10) { totalCount
    edges { node { id title nightlyPrice { amount currency } } } } }"""


@dataclass
class Answers:
    ok: list[float] = field(default_factory=list)  # when each came (time.monotonic())
    unavailable: int = 0
    other: list[str] = field(default_factory=list)
    slowest: float = 0.0

    def summary(self) -> str:
        return (
            f"ok {len(self.ok)}, unavailable {self.unavailable}, other {len(self.other)}"
            f" {self.other[:5]}, slowest {self.slowest:.2f} s"
        )


def classify(response: httpx.Response, root: str, answers: Answers) -> None:
    try:
        body = response.json()
    except ValueError:
        answers.other.append(f"{response.status_code} not JSON: {response.text[:200]!r}")
        return
    errors = body.get("errors") or []
    if response.status_code == 200 and not errors and (body.get("data") or {}).get(root):
        answers.ok.append(time.monotonic())
        return
    if typed_unavailable(response, errors):
        answers.unavailable += 1
        return
    answers.other.append(f"{response.status_code} {str(body)[:300]}")


async def read_until(http: httpx.AsyncClient, until: float, answers: Answers, n: int) -> None:
    start = (date.today() + timedelta(days=3 + n)).isoformat()
    turn = n
    while time.monotonic() < until:
        turn += 1
        document, variables, root = (
            (LISTINGS, {}, "listings")
            if turn % 2
            else (SEARCH, {"start": start}, "searchAvailability")
        )
        began = time.monotonic()
        try:
            response = await http.post("/graphql", json={"query": document, "variables": variables})
        except httpx.HTTPError as error:
            answers.other.append(repr(error))
        else:
            classify(response, root, answers)
        answers.slowest = max(answers.slowest, time.monotonic() - began)
        await asyncio.sleep(0.01)


async def test_compiled_reads_answer_ok_or_503_while_postgres_restarts(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    api = Server(tmp_path, postgres.url, **FAST)
    http = httpx.AsyncClient(base_url=api.url, timeout=60)
    try:
        await asyncio.to_thread(api.wait_until_ready)  # migrated by serve
        db = connect(postgres.url, pool_size=1, max_overflow=0)
        try:
            host = await make_user(db, Role.HOST)
            for _ in range(5):
                await make_listing(db, host)
        finally:
            await db.dispose()

        answers = Answers()
        began = time.monotonic()
        readers = [
            asyncio.create_task(read_until(http, began + 16, answers, n)) for n in range(CLIENTS)
        ]
        await asyncio.sleep(3)
        served_before = len(answers.ok)
        await asyncio.to_thread(postgres.stop, "fast")
        await asyncio.sleep(5)
        await asyncio.to_thread(postgres.start_again)
        restarted = time.monotonic()
        await asyncio.gather(*readers)
    finally:
        await http.aclose()
        api.kill()

    assert served_before > 0, answers.summary()
    assert answers.other == [], answers.summary()
    assert answers.unavailable, answers.summary()  # the outage was seen, and answered 503
    assert answers.slowest < ANSWER_BOUND_SECONDS, answers.summary()
    first_ok = min((at for at in answers.ok if at > restarted), default=None)
    assert first_ok is not None, answers.summary()
    assert first_ok - restarted < ANSWER_BOUND_SECONDS, answers.summary()
    assert "Unexpected error" not in api.output
    print(f"compiled reads, restart: {answers.summary()}, first OK {first_ok - restarted:.2f} s")
