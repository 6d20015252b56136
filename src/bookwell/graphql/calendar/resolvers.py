"""importCalendar (flows/calendar.py)."""

from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, InputErrors
from bookwell.flows import calendar as calendar_flows
from bookwell.graphql.calendar.types import ImportCalendarInput, ImportCalendarPayload
from bookwell.graphql.context import Info
from bookwell.graphql.listings.types import Listing
from bookwell.graphql.shared.common import parse_id, require_principal
from bookwell.graphql.shared.errors import INPUT, user_errors
from bookwell.services.calendar import imports as calendar_import
from bookwell.services.calendar.imports import CalendarInput


async def import_calendar(
    info: Info,
    input: Annotated[
        ImportCalendarInput,
        strawberry.argument(description="The listing, and the calendar to block its nights from."),
    ],
) -> ImportCalendarPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_id = found.check(parse_id, input.listing_id, "listing", "listingId")
    found.check(
        calendar_import.check_calendar_input,
        url=input.url,
        ics_text=input.ics_text,
        source=input.source,
    )
    if (invalid := found.as_error()) is not None:
        return _failed(invalid)
    assert listing_id is not None
    data = CalendarInput(
        listing_id=listing_id,
        url=input.url,
        ics_text=input.ics_text,
        quantity=input.quantity,
        source=input.source,
    )
    settings = info.context.settings
    try:
        result = await calendar_flows.import_calendar(
            info.context.db,
            principal=principal,
            data=data,
            private_addresses=settings.calendar_private_addresses,
            readers=settings.calendar_readers,
            read_seconds=settings.calendar_read_seconds,
        )
    except DomainError as error:  # CalendarConflict: each event that does not fit
        return _failed(error)
    return ImportCalendarPayload(
        listing=Listing.from_row(result.listing),
        created=result.created,
        updated=result.updated,
        removed=result.removed,
        unchanged=result.unchanged,
    )


def _failed(error: DomainError) -> ImportCalendarPayload:
    return ImportCalendarPayload(errors=user_errors(error, INPUT))
