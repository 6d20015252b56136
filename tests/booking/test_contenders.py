"""Exactly the free units are booked when 500 guests ask for them at once, through the real
app (ASGI, all at once); test_concurrency.py does the same with 100. Not timed: issue 18's
latency goals for contended rounds are measured in bench/, this proves the invariant."""

import asyncio
import uuid
from datetime import date, timedelta

import httpx
import pytest

from bookwell.app import create_app
from bookwell.core.db import Database
from bookwell.models import Role
from bookwell.services.accounts import accounts
from tests.factories import MANY_HOLDS, create_reservation_mutation, make_listing
from tests.support.database import inventory_drift, over_allocated_nights
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

CONTENDERS = 500
UNITS = 3
BOOK = create_reservation_mutation("id startDate endDate quantity status")


@pytest.fixture
async def roomy_app(settings):
    """Room for every contender to be answered on its merits: none refused for being one
    request too many (max_in_flight), from one address too many (the per-IP booking limit),
    or for waiting its turn at the listing longer than a loaded machine takes."""
    roomy = settings.model_copy(
        update={
            "max_in_flight": 0,
            "booking_limit_per_ip": CONTENDERS * 2,
            "listing_write_wait_seconds": 600.0,
        }
    )
    async with started(create_app(roomy)) as application:
        yield application


async def guest_tokens(db: Database, count: int) -> list[str]:
    """`count` guests with an API token each, made in one transaction."""
    tokens = []
    async with db.transaction() as session:
        for _ in range(count):
            user = await accounts.create_user(
                session=session,
                email=f"{uuid.uuid4().hex[:12]}@example.com",
                name="Contender",
                role=Role.GUEST,
            )
            made = await accounts.create_api_token(session=session, user_id=user.id, name="t")
            tokens.append(made.token)
    return tokens


@pytest.mark.slow  # 35 s on a loaded 2-core machine (10 s of CPU)
async def test_five_hundred_simultaneous_bookings_of_three_units(roomy_app, db, host):
    listing_id = await make_listing(db, host, units=UNITS, **MANY_HOLDS)
    tokens = await guest_tokens(db, CONTENDERS)
    start = date.today() + timedelta(days=30)
    booking = {"listingId": str(listing_id), "startDate": start.isoformat(), "nights": 3}

    transport = httpx.ASGITransport(app=roomy_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        client = GraphQLClient(http)
        answers = await asyncio.gather(
            *(client(BOOK, {"input": booking}, token=token) for token in tokens)
        )

    assert [a.status for a in answers] == [200] * CONTENDERS
    payloads = [a.data["createReservation"] for a in answers]
    booked = [p for p in payloads if p["reservation"]]
    refused = [p for p in payloads if not p["reservation"]]
    assert len(booked) == UNITS
    assert len(refused) == CONTENDERS - UNITS
    assert all([e["code"] for e in p["errors"]] == ["UNAVAILABLE"] for p in refused)
    assert await over_allocated_nights(db) == []
    assert await inventory_drift(db) == []
