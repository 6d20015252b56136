"""The app as create_app builds it (admin at /admin), and a small data set to look at."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from sqlalchemy import update

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.flows import booking
from bookwell.models import OutboxMessage, Role
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import lifecycle, reservations
from tests.factories import make_listing
from tests.support.lifespan import started

ADMIN_PASSWORD = "admin-password-1"
GUEST_PASSWORD = "guest-password-1"


@dataclass
class Seeded:
    admin_email: str
    guest_email: str
    admin_id: uuid.UUID
    loft_id: uuid.UUID
    cabin_id: uuid.UUID
    zelda_id: uuid.UUID  # PENDING, at the loft; its event delivered
    yannick_id: uuid.UUID  # CANCELLED, at the cabin


async def _user(db: Database, role: Role, name: str, password: str | None) -> Principal:
    async with db.transaction() as session:
        row = await accounts.create_user(
            session=session,
            email=f"{role.value.lower()}-{uuid.uuid4().hex[:8]}@example.com",
            name=name,
            role=role,
            password=password,
        )
    return Principal(row.id, role)


async def _email(db: Database, user: Principal) -> str:
    async with db.read() as session:
        rows = await accounts.users_by_ids(session=session, ids=[user.user_id])
    return rows[0].email


@pytest.fixture
async def seeded(db: Database) -> Seeded:
    admin = await _user(db, Role.ADMIN, "Ada Admin", ADMIN_PASSWORD)
    guest = await _user(db, Role.GUEST, "Gus Guest", GUEST_PASSWORD)
    host = await _user(db, Role.HOST, "Hannah Host", None)
    loft = await make_listing(db, host, title="Seaside Loft", city="Lisbon", country="PT")
    cabin = await make_listing(db, host, title="Mountain Cabin", city="Chamonix", country="FR")
    zelda = await booking.book(
        db,
        guest=guest,
        data=reservations.NewReservation(
            listing_id=loft, start_date=date(2027, 3, 1), nights=3, guest_name="Zelda Quartz"
        ),
    )
    yannick = await booking.book(
        db,
        guest=guest,
        data=reservations.NewReservation(
            listing_id=cabin, start_date=date(2027, 4, 10), nights=2, guest_name="Yannick Ortolan"
        ),
    )
    async with db.transaction() as session:
        await lifecycle.cancel_reservation(
            session=session, principal=guest, reservation_id=yannick.id, reason="test"
        )
        # The relay and workers do not run here: mark one event done by hand.
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.reservation_id == zelda.id)
            .values(relayed_at=date(2027, 1, 1), delivered_at=date(2027, 1, 1))
        )
    return Seeded(
        admin_email=await _email(db, admin),
        guest_email=await _email(db, guest),
        admin_id=admin.user_id,
        loft_id=loft,
        cabin_id=cabin,
        zelda_id=zelda.id,
        yannick_id=yannick.id,
    )


@asynccontextmanager
async def client_of(
    settings: Settings, base_url: str = "http://test"
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http


@pytest.fixture
async def admin_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(settings) as http:
        yield http


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """As a browser does: the form first, for its CSRF token (admin/csrf.py)."""
    form = {"username": email, "password": password, "csrf_token": await csrf_token(http)}
    return await http.post("/admin/login", data=form)


async def csrf_token(http: httpx.AsyncClient, page: str = "/admin/login") -> str:
    """The CSRF token in a page's form (the session's: the same on every page)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', (await http.get(page)).text)
    assert found, f"no CSRF token in {page}"
    return found.group(1)
