"""The suite's data factories: users, tokens, listings (stays and slot spaces) and bookings.

Everything here writes through the services, as the app would, except where a docstring
says it writes SQL itself. A test that books through another path on purpose (raw SQL in
tests/core/test_partitioning.py, concurrent API calls in tests/booking/test_concurrency.py)
keeps its own helper and says why.
"""

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from bookwell.core.db import Database
from bookwell.flows import booking as booking_flows
from bookwell.models import ListingKind, ReservationStatus, Role
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import lifecycle
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.booking.reservations import NewReservation, create_reservation
from bookwell.services.listings import listings
from bookwell.services.listings.stays import today_in
from bookwell.services.listings.units import SlotSettings
from bookwell.services.slots.slots import NewSlotBooking
from bookwell.services.slots.slots import book_slot as book_slot_service


def in_days(days: int, zone: str = "UTC") -> date:
    """The date `days` from today in `zone`."""
    return today_in(zone) + timedelta(days=days)


async def make_user(db: Database, role: Role = Role.GUEST, name: str | None = None) -> Principal:
    async with db.transaction() as session:
        row = await accounts.create_user(
            session=session,
            email=f"{uuid.uuid4().hex[:10]}@example.com",
            name=name or f"{role.value.title()} {uuid.uuid4().hex[:4]}",
            role=role,
        )
    return Principal(row.id, role)


async def make_token(db: Database, principal: Principal) -> str:
    async with db.transaction() as session:
        created = await accounts.create_api_token(
            session=session, user_id=principal.user_id, name="test"
        )
    return created.token


# Hold limits raised to their maximum, for tests that hold many units, nights or holds on one
# listing on purpose: make_listing(db, host, **MANY_HOLDS). The defaults are the app's.
MANY_HOLDS: dict[str, Any] = {
    "max_hold_nights": 365,
    "max_hold_units": 10000,
    "max_guest_holds": 100,
    "max_listing_holds": 10000,
}


async def make_listing(db: Database, owner: Principal, **fields) -> uuid.UUID:
    """A listing of `owner`; hold limits among `fields` (see MANY_HOLDS) are set after, as
    updateListingTerms would."""
    limits = {name: fields.pop(name) for name in MANY_HOLDS if name in fields}
    data = listings.NewListing(
        title=fields.pop("title", "Test listing"),
        nightly_price=fields.pop("nightly_price", "100.00"),
        **fields,
    )
    async with db.transaction() as session:
        row = await listings.create_listing(session=session, owner=owner, data=data)
        if limits:
            await session.execute(
                text(
                    "UPDATE listings SET "
                    + ", ".join(f"{name} = :{name}" for name in limits)
                    + " WHERE id = :id"
                ),
                {"id": row.id, **limits},
            )
    return row.id


async def make_slot_listing(db: Database, host: Principal, units: int = 1, **fields) -> uuid.UUID:
    """A space booked by the hour (09:00-18:00 in Berlin unless `fields` say otherwise)."""
    settings = SlotSettings(
        opens_at=fields.pop("opens_at", time(9)),
        closes_at=fields.pop("closes_at", time(18)),
        slot_minutes=fields.pop("slot_minutes", 60),
    )
    return await make_listing(
        db,
        host,
        kind=fields.pop("kind", ListingKind.SPACE),
        timezone=fields.pop("timezone", "Europe/Berlin"),
        nightly_price=fields.pop("nightly_price", "30.00"),
        units=units,
        slots=settings,
        **fields,
    )


async def set_status(db: Database, reservation_id: uuid.UUID, status: str) -> None:
    """Put a reservation into `status` in SQL, as a state change would leave it (the
    inventory trigger follows the status); nothing else changes."""
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = :status WHERE id = :id"),
            {"status": status, "id": reservation_id},
        )


async def book(
    db: Database,
    guest: Principal | None,
    listing_id: uuid.UUID,
    start: date,
    end: date | None = None,
    *,
    nights: int | None = None,
    quantity: int = 1,
    paid: bool = False,
    confirmed: bool = False,
    status: str | None = None,
    as_the_api_does: bool = False,
) -> ReservationRecord:
    """A reservation of `guest` (of a new guest when None) from `start` to `end`, or for
    `nights` (one night when neither is given): the service's row, PENDING until paid.

    paid: paid with the built-in flow (lifecycle.mark_paid), which confirms it on an
        instant-book listing (asserted);
    confirmed: set CONFIRMED in SQL with the hold's expiry cleared, no payment made;
    status: then put into `status` in SQL (set_status), its expiry left as it was;
    as_the_api_does: through flows.booking.book, the API's path: its own transaction, in
        one of the listing's turns (otherwise create_reservation in a transaction; either
        expires the overdue holds in its way).
    """
    if guest is None:
        guest = await make_user(db, Role.GUEST)
    if end is None and nights is None:
        nights = 1
    data = NewReservation(listing_id, start, end_date=end, nights=nights, quantity=quantity)
    if as_the_api_does:
        row = await booking_flows.book(db, guest=guest, data=data)
    else:
        async with db.transaction() as session:
            row = await create_reservation(session=session, guest=guest, data=data)
    if paid:
        async with db.transaction() as session:
            paid_row = await lifecycle.mark_paid(session=session, reservation_id=row.id)
        assert paid_row.status is ReservationStatus.CONFIRMED
    if confirmed:
        async with db.transaction() as session:
            await session.execute(
                text(
                    "UPDATE reservations SET status = 'CONFIRMED', expires_at = NULL WHERE id = :id"
                ),
                {"id": row.id},
            )
    if status is not None:
        await set_status(db, row.id, status)
    return row


async def make_stay(
    db: Database, guest: Principal, listing_id: uuid.UUID, status: str = "COMPLETED"
) -> str:
    """A two-night reservation of the guest's, put into `status` in SQL (check-out is not
    the tests' to wait for): its id, as text."""
    start = date.today() + timedelta(days=3)
    return str((await book(db, guest, listing_id, start, nights=2, status=status)).id)


async def book_slot(
    db: Database,
    guest: Principal,
    listing_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime | None = None,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> ReservationRecord:
    """A slot booking through the slots service (book_slot), as of `now`."""
    data = NewSlotBooking(listing_id, starts_at, ends_at, **fields)
    async with db.transaction() as session:
        return await book_slot_service(session=session, guest=guest, data=data, now=now)


RESERVATION_FIELDS = (
    "id databaseId status startDate endDate quantity expiresAt totalPrice { amount currency }"
)


def create_reservation_mutation(fields: str = RESERVATION_FIELDS) -> str:
    """createReservation selecting `fields` of the reservation, and every error field."""
    return (
        "mutation($input: CreateReservationInput!) { createReservation(input: $input) { "
        f"reservation {{ {fields} }} errors {{ code field message }} }} }}"
    )


async def try_book_over_graphql(
    client,
    token: str,
    listing_id: uuid.UUID,
    start: date | str,
    nights: int = 2,
    *,
    fields: str = RESERVATION_FIELDS,
    **more: Any,
) -> dict[str, Any]:
    """createReservation through the API (`more` adds input fields, such as quantity): its
    payload, {"reservation", "errors"}, refused or not."""
    booking = {"listingId": str(listing_id), "startDate": str(start), "nights": nights} | more
    answer = await client(create_reservation_mutation(fields), {"input": booking}, token=token)
    assert answer.status == 200, answer.body
    return answer.data["createReservation"]


async def book_over_graphql(
    client,
    token: str,
    listing_id: uuid.UUID,
    start: date | str,
    nights: int = 2,
    *,
    fields: str = RESERVATION_FIELDS,
    **more: Any,
) -> dict[str, Any]:
    """try_book_over_graphql that must succeed: the reservation made."""
    payload = await try_book_over_graphql(
        client, token, listing_id, start, nights, fields=fields, **more
    )
    assert payload["errors"] == [], payload
    return payload["reservation"]
