"""Calendars to import: the .ics fixtures, their events' UIDs, edits of them, importCalendar
through the API and the blocks it leaves."""

import uuid
from pathlib import Path

from sqlalchemy import text

from tests.factories import make_listing

FIXTURES = Path(__file__).parents[1] / "fixtures" / "calendars"


AIRBNB_RESERVED = "1418fb94e984-9f3e2c7a5b1d4e8f0a6c3b2d1e0f9a8b@airbnb.com"  # 03-05..03-10


AIRBNB_BLOCKED = "1418fb94e984-3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f@airbnb.com"  # 03-14..03-16


IMPORT = """
mutation($input: ImportCalendarInput!) {
  importCalendar(input: $input) {
    listing { id }
    created updated removed unchanged
    errors { code field message }
  }
}"""


def ics(name: str) -> str:
    """The file as it is, CRLF line ends included."""
    return (FIXTURES / f"{name}.ics").read_bytes().decode()


async def run_import(
    client, token, listing_id, *, ics_text=None, url=None, quantity=1, source=None
):
    variables = {
        "input": {
            "listingId": str(listing_id),
            "url": url,
            "icsText": ics_text,
            "quantity": quantity,
            "source": source,
        }
    }
    return (await client(IMPORT, variables, token=token)).data["importCalendar"]


async def blocks(db, listing_id) -> dict[str, tuple]:
    """uid -> (start, end, status, quantity, guest_name, guest_id, total, source)."""
    async with db.read() as session:
        rows = await session.execute(
            text(
                "SELECT external_uid, start_date, end_date, status, quantity, guest_name, "
                "guest_id, total_amount, external_source FROM reservations "
                "WHERE listing_id = :id AND external_uid IS NOT NULL"
            ),
            {"id": listing_id},
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def shifted(calendar: str, old: str, new: str) -> str:
    assert old in calendar
    return calendar.replace(old, new)


def without_event(calendar: str, uid: str) -> str:
    """The calendar with the VEVENT holding `uid` cut out."""
    lines = calendar.split("\r\n")
    at = lines.index(f"UID:{uid}")
    begin = max(i for i in range(at) if lines[i] == "BEGIN:VEVENT")
    end = next(i for i in range(at, len(lines)) if lines[i] == "END:VEVENT")
    return "\r\n".join(lines[:begin] + lines[end + 1 :])


async def paris_listing(db, host, units: int = 1) -> uuid.UUID:
    return await make_listing(db, host, units=units, timezone="Europe/Paris")
