"""Bookings sent to a real API server during a fault, and what each answer was: OK (the
reservation it names), SERVICE_UNAVAILABLE as issue 16 wants it (503, JSON, Retry-After and
the request id), or anything else (counted, and shown when a test fails)."""

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx

from tests.factories import create_reservation_mutation

BOOK = create_reservation_mutation("id")


@dataclass
class Outcome:
    kind: str  # "ok", "refused" (the payload's errors), "unavailable", "other"
    seconds: float
    status: int | None = None
    detail: str = ""
    reservation_id: str | None = None
    # When the answer came (time.monotonic()).
    at: float = field(default_factory=time.monotonic)


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)

    def median(self, kind: str) -> float:
        times = sorted(o.seconds for o in self.of(kind))
        return times[len(times) // 2] if times else 0.0

    def of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]

    @property
    def slowest(self) -> float:
        return max((o.seconds for o in self.outcomes), default=0.0)

    def summary(self) -> str:
        kinds = {k: len(self.of(k)) for k in ("ok", "refused", "unavailable", "other")}
        others = [f"{o.status} {o.detail[:200]}" for o in self.of("other")[:5]]
        return f"{kinds}, slowest {self.slowest:.2f} s, others: {others}"


def classify(response: httpx.Response, seconds: float) -> Outcome:
    try:
        body = response.json()
    except ValueError:
        return Outcome("other", seconds, response.status_code, f"not JSON: {response.text!r}")
    errors = body.get("errors") or []
    if response.status_code == 200 and not errors:
        payload = body["data"]["createReservation"]
        if payload["errors"]:
            return Outcome("refused", seconds, 200, str(payload["errors"]))
        return Outcome("ok", seconds, 200, reservation_id=payload["reservation"]["id"])
    if typed_unavailable(response, errors):
        return Outcome("unavailable", seconds, 503)
    return Outcome("other", seconds, response.status_code, str(body))


def typed_unavailable(response: httpx.Response, errors: list[dict]) -> bool:
    """A 503 in GraphQL's shape: SERVICE_UNAVAILABLE with Retry-After and the request id."""
    request_id = response.headers.get("x-request-id")
    return bool(
        response.status_code == 503
        and response.headers.get("retry-after", "").isdigit()
        and [e.get("extensions", {}).get("code") for e in errors] == ["SERVICE_UNAVAILABLE"]
        and request_id
        and errors[0]["extensions"].get("requestId") == request_id
    )


async def book(
    http: httpx.AsyncClient, token: str, listing_id: uuid.UUID, start: date, nights: int = 1
) -> Outcome:
    booking = {"listingId": str(listing_id), "startDate": start.isoformat(), "nights": nights}
    began = time.monotonic()
    try:
        response = await http.post(
            "/graphql",
            json={"query": BOOK, "variables": {"input": booking}},
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as error:
        return Outcome("other", time.monotonic() - began, None, repr(error))
    return classify(response, time.monotonic() - began)


async def stream(
    http: httpx.AsyncClient,
    tokens: list[str],
    listing_id: uuid.UUID,
    until: float,
    tally: Tally,
    pause: float = 0.05,
    clients: int | None = None,
) -> None:
    """`clients` clients (one per token unless given) booking one night after another until
    `until` (monotonic), each taking turns with its share of the tokens: a guest's unpaid
    holds are limited (maxGuestHolds, at most 100), and a quiet machine books many."""

    async def client(number: int, mine: list[str]) -> None:
        day = 0
        while time.monotonic() < until:
            day += 1
            start = date.today() + timedelta(days=1 + (number * 997 + day) % 700)
            token = mine[day % len(mine)]
            tally.outcomes.append(await book(http, token, listing_id, start))
            await asyncio.sleep(pause)

    count = clients or len(tokens)
    await asyncio.gather(*(client(n, tokens[n::count]) for n in range(count)))
