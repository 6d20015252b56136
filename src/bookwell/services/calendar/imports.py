"""importCalendar: block a listing's nights from an external iCalendar (another booking
site's export, a channel manager, a personal calendar).

Idempotent on each event's UID: importing the same calendar again changes nothing; an event
whose dates changed moves its block (one UPDATE); an event gone from the calendar cancels its
block. Only blocks of the same calendar (`external_source`: the URL, or `text:{source}` for
text pasted under a host-chosen `source` name) are ever removed, so two calendars never
remove each other's blocks. Text pasted without a `source` cannot say which earlier paste
it replaces (two Airbnb exports look alike): it adds and moves blocks but removes none, and
its blocks are labelled with the calendar's own name (X-WR-CALNAME, else PRODID). The whole
import is one transaction: if any block does not fit, nothing changes and every event that
does not fit is named. Recurring events are expanded up to HORIZON_DAYS ahead.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import (
    DomainError,
    DomainErrors,
    ErrorCode,
    InputErrors,
    check_text,
    invalid,
    not_found,
)
from bookwell.models import Listing, ListingKind
from bookwell.services.accounts.principal import Principal
from bookwell.services.calendar import blocks
from bookwell.services.calendar.fetch import MAX_BYTES, MAX_URL, check_url
from bookwell.services.calendar.ical_events import CalendarError
from bookwell.services.calendar.plan import (
    Plan,
    WantedBlock,
    bookwell_reservation_id,
    plan,
)
from bookwell.services.calendar.reading import CalendarReader
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord
from bookwell.services.listings.stays import today_in

HORIZON_DAYS = 730
MAX_NAMED_CONFLICTS = 20
MAX_SOURCE = 200
TEXT_SOURCE = "text:"


@dataclass(frozen=True, slots=True)
class CalendarInput:
    listing_id: uuid.UUID
    url: str | None = None
    ics_text: str | None = None
    quantity: int = 1
    source: str | None = None  # pasted text only: the host's name for the calendar

    @property
    def field(self) -> str:
        """The input that holds the calendar, to blame for what is wrong with it."""
        return "url" if self.url else "icsText"


@dataclass(frozen=True, slots=True)
class ImportResult:
    listing: ListingRecord
    created: int
    updated: int
    removed: int
    unchanged: int


class CalendarConflict(DomainErrors):
    """Events whose blocks do not fit, each named in `errors`; the import changed nothing."""


def check_calendar_input(*, url: str | None, ics_text: str | None, source: str | None) -> None:
    """The calendar given and its source name: every mistake at once, before any query."""
    found = InputErrors()
    found.check(_check_calendar, url, ics_text)
    if source is not None:
        found.check(_check_source, source, url)
    found.raise_if_any()


def _check_calendar(url: str | None, ics_text: str | None) -> None:
    if bool(url) == bool(ics_text):
        raise invalid("url", "Give the calendar's url or its icsText, not both.")
    if url:
        check_url(url)
    else:
        assert ics_text is not None
        check_text(ics_text, "icsText")
        if len(ics_text.encode()) > MAX_BYTES:
            raise invalid("icsText", f"A calendar has at most {MAX_BYTES // 1024 // 1024} MB.")


def _check_source(source: str, url: str | None) -> None:
    if url:
        raise invalid("source", "A calendar's URL is its source: give source with icsText.")
    source = check_text(source, "source").strip()
    if not source or len(source) > MAX_SOURCE:
        raise invalid("source", f"source is a name of 1 to {MAX_SOURCE} characters.")


async def importable_listing(
    *, session: AsyncSession, principal: Principal, data: CalendarInput
) -> ListingRecord:
    """The listing, if `principal` is its host or an admin and it books nights."""
    stmt = select(*LISTING_COLUMNS).where(Listing.id == data.listing_id)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("listing", "listingId")
    listing = ListingRecord(*row)
    if listing.owner_id != principal.user_id and not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only the listing's host can import calendars.", "listingId"
        )
    if listing.kind is not ListingKind.STAY:
        raise invalid("listingId", "Calendars block nights: only STAY listings import them.")
    if not 1 <= data.quantity <= listing.units:
        raise invalid("quantity", f"quantity must be between 1 and {listing.units} (the units).")
    return listing


@dataclass(frozen=True, slots=True)
class WantedCalendar:
    source: str
    today: date
    blocks: list[WantedBlock]
    removes: bool  # whether blocks of `source` whose events are gone are removed


async def read_wanted(
    listing: ListingRecord,
    data: CalendarInput,
    text: str,
    now: datetime | None = None,
    *,
    reader: CalendarReader,
    seconds: float,
) -> WantedCalendar:
    """The blocks the calendar wants on this listing, read by `reader` (in a process of its
    own, at most `seconds`: services/calendar/reading.py)."""
    today = today_in(listing.timezone, now)
    try:
        read = await reader.read(
            text,
            timezone=listing.timezone,
            today=today,
            horizon_days=HORIZON_DAYS,
            seconds=seconds,
        )
    except CalendarError as error:
        raise invalid(data.field, f"The calendar cannot be imported: {error}") from None
    source, removes = _source(data, read.name)
    return WantedCalendar(source, today, read.blocks, removes)


def _source(data: CalendarInput, calendar_name: str | None) -> tuple[str, bool]:
    """Where the blocks come from, and whether that names this calendar alone: its URL, or
    the host's name for pasted text; else (pasted text, no name) the calendar's own name,
    which another calendar of the same producer shares."""
    if data.url:
        return data.url.strip(), True
    if data.source is not None:
        return TEXT_SOURCE + data.source.strip(), True
    return f"{TEXT_SOURCE}{calendar_name or 'calendar'}"[:MAX_URL], False


async def apply_calendar(
    *, session: AsyncSession, principal: Principal, data: CalendarInput, calendar: WantedCalendar
) -> ImportResult:
    """Bring the listing's blocks from this calendar in line with it, in the caller's
    transaction (which a CalendarConflict must roll back)."""
    listing = await importable_listing(session=session, principal=principal, data=data)
    await blocks.lock_listing_imports(session=session, listing_id=listing.id)
    wanted = await _without_own(session=session, listing_id=listing.id, wanted=calendar.blocks)
    existing = await blocks.blocks_to_compare(
        session=session,
        listing_id=listing.id,
        source=calendar.source,
        uids=[block.uid for block in wanted],
    )
    changes = plan(
        wanted,
        existing,
        source=calendar.source,
        quantity=data.quantity,
        today=calendar.today,
        removes=calendar.removes,
    )
    await _apply(
        session=session,
        listing=listing,
        changes=changes,
        source=calendar.source,
        data=data,
        today=calendar.today,
    )
    return ImportResult(
        listing=listing,
        created=len(changes.creates),
        updated=len(changes.moves),
        removed=len(changes.removals) + len(changes.endings),
        unchanged=changes.unchanged,
    )


async def _without_own(
    *, session: AsyncSession, listing_id: uuid.UUID, wanted: list[WantedBlock]
) -> list[WantedBlock]:
    """Without the events of Bookwell feeds that are this listing's own reservations (or
    echoes of them): a listing's feed imported back blocks nothing. Other listings'
    reservations are blocks like any calendar's events."""
    named = {block.uid: bookwell_reservation_id(block.uid) for block in wanted}
    ids = sorted({id_ for id_ in named.values() if id_ is not None})
    own = await blocks.own_reservations(session=session, listing_id=listing_id, ids=ids)
    return [block for block in wanted if named[block.uid] not in own]


@dataclass(frozen=True, slots=True)
class _Change:
    first_night: date
    order: int  # at the same night: free units before taking any
    block: WantedBlock | None
    run: Callable[[], Awaitable[bool]]
    moving: uuid.UUID | None = None  # the block a move changes


async def _apply(
    *,
    session: AsyncSession,
    listing: ListingRecord,
    changes: Plan,
    source: str,
    data: CalendarInput,
    today: date,
) -> None:
    """Every change in the order of the first night it touches, as every transaction locks
    nights. A change that does not fit is tried again once all others are done (it may
    need nights another change frees later, or blocks may swap nights); one that still does
    not fit fails the import. Only that retry, rare, locks nights out of date order."""
    todo = _changes(
        session=session,
        listing=listing,
        changes=changes,
        source=source,
        quantity=data.quantity,
        today=today,
    )
    refused = [change for change in todo if not await change.run()]
    # Blocks that swap nights wait for each other: let go of all their old nights first.
    for change in refused:
        if change.moving is not None:
            await blocks.cancel_block(session=session, block_id=change.moving, reason="Moving.")
    refused = [change for change in refused if not await change.run()]
    if refused:
        conflicts = [_conflict(change.block, data.quantity, data.field) for change in refused]
        raise CalendarConflict(conflicts[:MAX_NAMED_CONFLICTS])


def _changes(
    *,
    session: AsyncSession,
    listing: ListingRecord,
    changes: Plan,
    source: str,
    quantity: int,
    today: date,
) -> list[_Change]:
    reason = f"Removed from the calendar {source}"
    todo = [
        _Change(
            row.start_date,
            0,
            None,
            partial(_cancel, session=session, block_id=row.id, reason=reason),
        )
        for row in changes.removals
    ]
    todo.extend(
        _Change(today, 0, None, partial(_end, session=session, block_id=row.id, today=today))
        for row in changes.endings
    )
    for move in changes.moves:
        run = partial(
            blocks.move_block,
            session=session,
            block_id=move.block.id,
            block=move.wanted,
            source=source,
            quantity=quantity,
        )
        first = blocks.first_night(move.wanted, move.block)
        todo.append(_Change(first, 1, move.wanted, run, moving=move.block.id))
    for wanted in changes.creates:
        run = partial(
            blocks.create_block,
            session=session,
            listing_id=listing.id,
            currency=listing.currency,
            block=wanted,
            source=source,
            quantity=quantity,
        )
        todo.append(_Change(wanted.start, 2, wanted, run))
    return sorted(todo, key=lambda change: (change.first_night, change.order))


async def _cancel(*, session: AsyncSession, block_id: uuid.UUID, reason: str) -> bool:
    """Freeing units always fits."""
    await blocks.cancel_block(session=session, block_id=block_id, reason=reason)
    return True


async def _end(*, session: AsyncSession, block_id: uuid.UUID, today: date) -> bool:
    await blocks.end_block(session=session, block_id=block_id, today=today)
    return True


def _conflict(block: WantedBlock | None, quantity: int, field: str) -> DomainError:
    assert block is not None  # removals only free units
    return DomainError(
        ErrorCode.UNAVAILABLE,
        f"Event {block.uid} ({block.start.isoformat()} to {block.end.isoformat()}) does not "
        f"fit: not {quantity} unit(s) free on every night. Nothing was imported.",
        field,
    )
