"""A known calendar for the report tests, with every figure worked out by hand below.

Window: the nights 2031-03-10 .. 2031-03-19, i.e. [2031-03-10, 2031-03-20), 10 nights.
Reservations are inserted as rows (any status, any creation instant); the inventory trigger
still checks capacity for the ones that hold units.

Alpha flat (host's, STAY, 2 units, EUR, Europe/Paris = UTC+1 in winter, Paris)
  a1 CONFIRMED  q1 [03-08, 03-12) 400.00  made 02-26 23:30 UTC = 02-27 local: lead 9
     in window: nights 10, 11 = shares 2..4 of 4: 400 - 200 = 200.00
  a2 ACTIVE     q2 [03-15, 03-18) 100.00  made 03-01 10:00 UTC: lead 14; 6 unit-nights
  a3 PENDING    q1 [03-12, 03-14)  50.00  held on 12, 13 (no sale)
  a4 CANCELLED  q1 [03-19, 03-22)         overlaps: 1 cancellation
  a5 CANCELLED  q1 [03-01, 03-05)         outside the window: not counted
  a6 EXPIRED    q1 [03-12, 03-13)         ignored
  a7 COMPLETED  q1 [03-18, 03-25) 100.00  made 01-18 12:00 UTC: lead 59; nights 18, 19
     = shares 0..2 of 7: round(200/7, 2) - 0 = 28.57
  block ext-1 CONFIRMED q1 [03-13, 03-15): blocked on 13, 14
  block ext-2 CANCELLED q1 [03-10, 03-11): a removed block, ignored
  nights (booked, held, blocked): 10 (1,0,0) 11 (1,0,0) 12 (0,1,0) 13 (0,1,1) 14 (0,0,1)
    15-17 (2,0,0) 18 (1,0,0) 19 (1,0,0)
  booked 10, held 2, blocked 2, available 2 x 10 - 2 = 18, occupancy 10/18 = 0.5556
  revenue 328.57, ADR 32.86, RevPAR 18.25 (328.57 / 18 = 18.2538), 3 stays, 1 cancellation,
  lead (9 + 14 + 59) / 3 = 27.33, length (4 + 3 + 7) / 3 = 4.67

Bravo loft (host's, STAY, 1 unit, USD, America/Los_Angeles = UTC-8 in early March, Los Angeles)
  b1 CONFIRMED [03-11, 03-13) 300.00  made 03-02 05:00 UTC = 03-01 21:00 local: lead 10
  b2 CONFIRMED [03-19, 03-22) 100.00  made 03-19 06:00 UTC = 03-18 local: lead 1;
     night 19 = share 0..1 of 3: 33.33
  booked 3, available 10, occupancy 0.3, revenue 333.33, ADR 111.11, RevPAR 33.33,
  lead 5.5, length 2.5

Charlie bistro (host's, RESTAURANT, 1 table, EUR, Europe/Paris, Paris): slots count on their
local date, so two sittings at one table on 03-12 are 2 units booked of 1
  c1 CONFIRMED 03-12 19:00-21:00 local  80.00  made 03-01 12:00 UTC: lead 11
  c2 CONFIRMED 03-12 21:00-23:00 local  60.00  made 03-01 12:00 UTC: lead 11
  c3 PENDING   03-13 19:00-21:00 local: held 1 on 13
  c4 CONFIRMED 03-20 (outside: the end date is excluded)
  booked 2, held 1, available 10, occupancy 0.2, revenue 140.00, ADR 70.00, RevPAR 14.00,
  lead 11.0, length 1.0

Delta house (another host's, STAY, 1 unit, EUR, Europe/Paris, Paris)
  d1 CONFIRMED [03-10, 03-20) 1000.00 made 03-01 00:00 UTC: lead 9; booked 10, occupancy 1.0

Echo studio (host's, STAY, 1 unit, GBP, Europe/London, London): nothing booked
  available 10, occupancy 0.0, revenue 0.00, ADR null, RevPAR 0.00, averages null

The host's totals per currency:
  EUR (Alpha, Charlie): booked 12, held 3, blocked 2, available 28, occupancy 0.4286,
    revenue 468.57, ADR 39.05 (39.0475), RevPAR 16.73 (16.7346), 5 stays, 1 cancellation,
    lead 104 / 5 = 20.8, length 16 / 5 = 3.2
  GBP (Echo) and USD (Bravo) as the listings.
  Overall: booked 15, held 3, blocked 2, available 48, occupancy 0.3125, 7 stays,
    1 cancellation, lead 115 / 7 = 16.43, length 21 / 7 = 3.0
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import insert

from bookwell.core.db import Database
from bookwell.models import ListingKind, Reservation, ReservationStatus, Role, new_id
from bookwell.services.accounts.principal import Principal
from tests.factories import make_listing, make_user

START = date(2031, 3, 10)
END = date(2031, 3, 20)


@dataclass
class Calendar:
    host: Principal
    other_host: Principal
    admin: Principal
    guest: Principal
    alpha: uuid.UUID
    bravo: uuid.UUID
    charlie: uuid.UUID
    delta: uuid.UUID
    echo: uuid.UUID


def march(day: int) -> date:
    return date(2031, 3, day)


def utc(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2031, month, day, hour, minute, tzinfo=UTC)


async def add_reservation(
    db: Database,
    listing_id: uuid.UUID,
    start: date,
    end: date,
    status: ReservationStatus,
    total: str = "0.00",
    *,
    quantity: int = 1,
    currency: str = "EUR",
    created_at: datetime | None = None,
    slot: tuple[datetime, datetime] | None = None,
    external_uid: str | None = None,
) -> uuid.UUID:
    reservation_id = new_id()
    values = {
        "id": reservation_id,
        "listing_id": listing_id,
        "guest_name": "Calendar block" if external_uid else "Report Guest",
        "start_date": start,
        "end_date": end,
        "quantity": quantity,
        "status": status,
        "total_amount": Decimal(total),
        "currency": currency,
        "created_at": created_at or utc(1, 1),
        "starts_at": slot[0] if slot else None,
        "ends_at": slot[1] if slot else None,
        "external_uid": external_uid,
        "external_source": "https://calendar.example/feed.ics" if external_uid else None,
    }
    async with db.transaction() as session:
        await session.execute(insert(Reservation).values(**values))
    return reservation_id


async def build_calendar(db: Database) -> Calendar:
    host = await make_user(db, Role.HOST, "Report Host")
    other_host = await make_user(db, Role.HOST, "Other Host")
    admin = await make_user(db, Role.ADMIN, "Report Admin")
    guest = await make_user(db, Role.GUEST, "Report Guest")
    paris = {"timezone": "Europe/Paris", "city": "Paris", "currency": "EUR"}
    alpha = await make_listing(db, host, title="Alpha flat", units=2, **paris)
    bravo = await make_listing(
        db,
        host,
        title="Bravo loft",
        timezone="America/Los_Angeles",
        city="Los Angeles",
        currency="USD",
    )
    charlie = await make_listing(
        db, host, title="Charlie bistro", kind=ListingKind.RESTAURANT, units=1, **paris
    )
    delta = await make_listing(db, other_host, title="Delta house", **paris)
    echo = await make_listing(
        db, host, title="Echo studio", timezone="Europe/London", city="London", currency="GBP"
    )
    S = ReservationStatus
    add = functools.partial(add_reservation, db)

    await add(alpha, march(8), march(12), S.CONFIRMED, "400.00", created_at=utc(2, 26, 23, 30))
    await add(alpha, march(15), march(18), S.ACTIVE, "100.00", quantity=2, created_at=utc(3, 1, 10))
    await add(alpha, march(12), march(14), S.PENDING, "50.00")
    await add(alpha, march(19), march(22), S.CANCELLED, "90.00")
    await add(alpha, march(1), march(5), S.CANCELLED, "90.00")
    await add(alpha, march(12), march(13), S.EXPIRED, "30.00")
    await add(alpha, march(18), march(25), S.COMPLETED, "100.00", created_at=utc(1, 18))
    await add(alpha, march(13), march(15), S.CONFIRMED, external_uid="ext-1")
    await add(alpha, march(10), march(11), S.CANCELLED, external_uid="ext-2")

    usd = {"currency": "USD"}
    await add(bravo, march(11), march(13), S.CONFIRMED, "300.00", created_at=utc(3, 2, 5), **usd)
    await add(bravo, march(19), march(22), S.CONFIRMED, "100.00", created_at=utc(3, 19, 6), **usd)

    # Paris is UTC+1 in March before the 30th: 19:00 local is 18:00 UTC.
    for day, hour, status, total in (
        (12, 18, S.CONFIRMED, "80.00"),
        (12, 20, S.CONFIRMED, "60.00"),
        (13, 18, S.PENDING, "70.00"),
        (20, 18, S.CONFIRMED, "90.00"),
    ):
        slot = (utc(3, day, hour), utc(3, day, hour + 2))
        await add(
            charlie, march(day), march(day + 1), status, total, created_at=utc(3, 1), slot=slot
        )

    await add(delta, START, END, S.CONFIRMED, "1000.00", created_at=utc(3, 1, 0))
    return Calendar(host, other_host, admin, guest, alpha, bravo, charlie, delta, echo)
