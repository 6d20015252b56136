"""Blackouts a host makes and deletes (services/calendar/blackouts.py), and importing a
calendar: check who asks, fetch and read the calendar outside any
transaction (a slow server or a large calendar must not hold locks), apply it in one
transaction, then offer the nights it let go of to the waitlist."""

import uuid
from datetime import datetime

from bookwell.core.db import Database
from bookwell.flows.listing_gate import in_listing_turn
from bookwell.flows.transaction import in_one_transaction
from bookwell.flows.waitlist import offer_freed_units
from bookwell.services.accounts.principal import Principal
from bookwell.services.calendar import blackouts, imports
from bookwell.services.calendar.blackout_input import NewBlackout
from bookwell.services.calendar.blackouts import BlackoutRecord
from bookwell.services.calendar.fetch import fetch_calendar
from bookwell.services.calendar.imports import CalendarInput, ImportResult
from bookwell.services.calendar.reading import shared_reader

# The defaults of settings.calendar_readers and calendar_read_seconds.
READERS = 2
READ_SECONDS = 5.0


async def import_calendar(
    db: Database,
    *,
    principal: Principal,
    data: CalendarInput,
    now: datetime | None = None,
    private_addresses: bool = False,
    readers: int = READERS,
    read_seconds: float = READ_SECONDS,
) -> ImportResult:
    """Block the listing's nights as the calendar says (services/calendar/imports.py); a
    CalendarConflict names every event that does not fit, and nothing changes. `now` is for
    tests: it moves "today" and the horizon. `private_addresses` lets a URL point into
    private networks (services/calendar/fetch.py). The calendar is read by `readers`
    processes shared by the app, each reading at most `read_seconds`
    (services/calendar/reading.py)."""
    imports.check_calendar_input(url=data.url, ics_text=data.ics_text, source=data.source)
    async with db.read() as session:
        listing = await imports.importable_listing(session=session, principal=principal, data=data)
    text = (
        await fetch_calendar(data.url, private_addresses=private_addresses)
        if data.url
        else data.ics_text or ""
    )
    calendar = await imports.read_wanted(
        listing, data, text, now, reader=shared_reader(readers), seconds=read_seconds
    )

    async def applied() -> ImportResult:
        # Blocks take nights as bookings do: in one of the listing's turns (listing_gate.py),
        # not the reading of the calendar before.
        result = await in_one_transaction(
            db,
            lambda session: imports.apply_calendar(
                session=session, principal=principal, data=data, calendar=calendar
            ),
        )
        if result.removed or result.updated:
            await offer_freed_units(db, [data.listing_id])
        return result

    return await in_listing_turn(db, data.listing_id, applied)


async def create_blackout(
    db: Database, *, principal: Principal, data: NewBlackout
) -> BlackoutRecord:
    """Close a listing's dates or hours (services/calendar/blackouts.py); BlackoutConflict
    names the bookings in the way, and nothing changes."""
    return await in_one_transaction(
        db,
        lambda session: blackouts.create_blackout(session=session, principal=principal, data=data),
    )


async def delete_blackout(
    db: Database, *, principal: Principal, blackout_id: uuid.UUID
) -> BlackoutRecord:
    """Reopen what a blackout closed, then offer the freed units to the waitlist."""
    deleted = await in_one_transaction(
        db,
        lambda session: blackouts.delete_blackout(
            session=session, principal=principal, blackout_id=blackout_id
        ),
    )
    await offer_freed_units(db, [deleted.listing_id])
    return deleted
